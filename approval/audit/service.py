"""Writing and checking the audit trail. Appends happen in the caller's transaction.

Concurrency: one chain per application. A new chain (the submit path) needs no read: its first
record links to a fixed genesis hash and its head row is inserted with the records — the
primary key on the head refuses a second creator. Appending to an existing chain locks the head
row (``SELECT … FOR UPDATE`` on PostgreSQL, so processes queue per application, not globally;
on SQLite the single writer serialises appends), links to it and moves it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy.engine import Connection

from approval.audit import repository
from approval.audit.chain import (
    HOW_TO_VERIFY,
    Break,
    Entry,
    genesis_hash,
    link,
    verify_chain,
)
from approval.errors import NotFound
from approval.signing import LicenceSigner, canonical_json

SYSTEM_CHAIN = "system"


def new_chain_rows(chain: str, entries: Sequence[Entry]) -> list[dict[str, Any]]:
    """The rows that start a chain; computed outside the transaction (no read needed)."""
    return link(chain, 0, genesis_hash(chain), entries)


def store_new_chain(conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
    """Insert a new chain's first records and its head (fast path: driver-level inserts)."""
    if not rows:
        return
    repository.insert_records(conn, rows)
    last = rows[-1]
    repository.insert_head(conn, last["chain"], last["seq"], last["hash"])


def append(conn: Connection, chain: str, entries: Sequence[Entry]) -> list[dict[str, Any]]:
    """Append entries to a chain (created if it has no record yet), in this transaction."""
    head = repository.lock_head(conn, chain)
    if head is None:
        rows = new_chain_rows(chain, entries)
        store_new_chain(conn, rows)
        return rows
    rows = link(chain, head.seq, head.hash, entries)
    repository.insert_records(conn, rows)
    if rows:
        repository.move_head(conn, chain, rows[-1]["seq"], rows[-1]["hash"])
    return rows


@dataclass(frozen=True, slots=True)
class VerifyReport:
    chains: int
    records: int
    first_break: Break | None


def verify_all(conn: Connection) -> VerifyReport:
    """Check every chain; report the first broken record (in chain order)."""
    heads = repository.all_heads(conn)
    chains_seen: set[str] = set()
    count = 0
    first: Break | None = None
    current: str | None = None
    batch: list[dict[str, Any]] = []

    def close(chain: str, records: list[dict[str, Any]]) -> Break | None:
        return verify_chain(chain, records, heads.get(chain))

    for record in repository.iter_all_records(conn):
        count += 1
        if record["chain"] != current:
            if current is not None and first is None:
                first = close(current, batch)
            current, batch = record["chain"], []
            chains_seen.add(current)
        batch.append(record)
    if current is not None and first is None:
        first = close(current, batch)
    if first is None:
        for chain in sorted(set(heads) - chains_seen):
            first = verify_chain(chain, [], heads[chain])
            if first is None:
                first = Break(chain, 1, None, "head without records: records deleted")
            break
    return VerifyReport(len(chains_seen | set(heads)), count, first)


def export_chain(conn: Connection, chain: str, signer: LicenceSigner) -> dict[str, Any]:
    """One chain with everything an outsider needs to check it (records, head, signature)."""
    records = repository.chain_records(conn, chain)
    head = repository.head(conn, chain)
    if not records or head is None:
        raise NotFound("没有该申请的审计记录")
    head_statement = {
        "chain": chain,
        "seq": head["seq"],
        "hash": head["hash"],
        "key_id": signer.key_id,
    }
    problem = verify_chain(chain, records, head)
    return {
        "chain": chain,
        "algorithm": "sha256",
        "genesis_prev_hash": genesis_hash(chain),
        "how_to_verify": HOW_TO_VERIFY,
        "records": [{k: v for k, v in r.items() if k != "id"} for r in records],
        "head": head_statement,
        "head_signature": signer.sign(head_statement),
        "signing_key_id": signer.key_id,
        "signing_public_key_pem": signer.public_key_pem(),
        "intact": problem is None,
    }


def entries_for(conn: Connection, chain: str) -> list[dict[str, Any]]:
    return repository.chain_records(conn, chain)


def first_records(conn: Connection, chain: str, count: int) -> list[dict[str, Any]]:
    """The chain's first ``count`` records (at, action, detail), in order."""
    return repository.first_records(conn, chain, count)


def canonical(value: Any) -> bytes:
    return canonical_json(value)


def event_entries(
    actor: str,
    role: str,
    events: Sequence[dict[str, Any]],
    facts: dict[str, Any] | None = None,
) -> list[Entry]:
    """One record per timeline event. A decision's record carries the SHA-256 of the facts it
    was decided on, so the stored facts can later be shown to be the ones the rules saw."""
    facts_hash = (
        hashlib.sha256(orjson.dumps(facts, option=orjson.OPT_SORT_KEYS)).hexdigest()
        if facts is not None
        else None
    )
    return [
        Entry(
            at=event["at"],
            actor=actor,
            role=role,
            action=event["kind"],
            detail={**event["detail"], "facts_sha256": facts_hash}
            if event["kind"] == "decided"
            else event["detail"],
        )
        for event in events
    ]


def submission_rows(
    chain: str,
    actor: str,
    role: str,
    events: Sequence[dict[str, Any]],
    facts: dict[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """A submitted application's first records, hashed before the write (no read needed)."""
    return new_chain_rows(chain, event_entries(actor, role, events, facts))
