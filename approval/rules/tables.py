"""Ruleset versions, their history, and shadow-mode disagreements."""

from __future__ import annotations

from sqlalchemy import JSON, Boolean, Column, DateTime, Index, Integer, String, Table, Text

from approval.database import metadata

TS = DateTime(timezone=True)

rulesets = Table(
    "rulesets",
    metadata,
    Column("version", String(64), primary_key=True),  # content hash, as stored on decisions
    Column("files", JSON, nullable=False),  # relative path -> file text (rules, words, tests…)
    Column("rule_count", Integer, nullable=False),
    Column("author", String(64), nullable=False),
    Column("created_at", TS, nullable=False),
    # draft | scheduled | active | retired | cancelled (a scheduled version called off)
    Column("status", String(16), nullable=False),
    Column("note", Text, nullable=True),
    Column("approved_by", String(64), nullable=True),
    Column("approved_at", TS, nullable=True),
    Column("activated_at", TS, nullable=True),
    Column("retired_at", TS, nullable=True),
    Column("replaced_version", String(64), nullable=True),
    Column("evidence", JSON, nullable=True),  # check, test and simulation results at approval
    Column("shadow", Boolean, nullable=False, default=False),
    # the moment every process switches to it (migration d4f6a8chng01)
    Column("effective_from", TS, nullable=True),
    Column("change_id", String(16), nullable=True),  # the change request that was approved
    Index("ix_rulesets_status", "status"),
)

ruleset_events = Table(
    "ruleset_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("version", String(64), nullable=False),
    Column("kind", String(24), nullable=False),
    Column("actor", String(64), nullable=False),
    Column("at", TS, nullable=False),
    Column("detail", JSON, nullable=False),
)

# One change request: the files (rules, word lists, catalogue, test cases) a draft holds, who
# wrote it, the waivers it asks for, and the evidence computed when it was last proposed or edited.
rule_changes = Table(
    "rule_changes",
    metadata,
    Column("id", String(16), primary_key=True),
    Column("status", String(16), nullable=False),  # draft | approved | rejected
    Column("version", String(64), nullable=False),  # the ruleset version its files make
    Column("revision", Integer, nullable=False),
    Column("files", JSON, nullable=False),
    Column("authors", JSON, nullable=False),  # key ids of everyone who changed the draft
    Column("note", Text, nullable=True),
    Column("waivers", JSON, nullable=False),  # regression case key -> {reason, by}
    Column("evidence", JSON, nullable=False),
    Column("evidence_digest", String(64), nullable=False),
    Column("created_at", TS, nullable=False),
    Column("updated_at", TS, nullable=False),
    Column("decided_by", String(64), nullable=True),
    Column("decided_at", TS, nullable=True),
    Column("decision", JSON, nullable=True),  # reason, acknowledgement, effective_from, digest
    Index("ix_rule_changes_status", "status", "created_at"),
)

shadow_disagreements = Table(
    "shadow_disagreements",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("application_id", String(32), nullable=False),
    Column("active_version", String(64), nullable=False),
    Column("candidate_version", String(64), nullable=False),
    Column("active_outcome", String(32), nullable=False),
    Column("candidate_outcome", String(32), nullable=False),
    Column("active_rules", JSON, nullable=False),
    Column("candidate_rules", JSON, nullable=False),
    Column("recorded_at", TS, nullable=False),
    Index("ix_shadow_disagreements_candidate", "candidate_version", "id"),
)
