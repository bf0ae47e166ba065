"""The hash chain itself: pure functions, no database — what an outside verifier re-implements.

A record's hash is SHA-256 over the canonical JSON (keys sorted, no whitespace, UTF-8, no
floats) of ``{chain, seq, at, actor, role, action, reason, detail, prev_hash}``. The first
record of a chain has ``prev_hash`` = SHA-256 of ``"miaopi-audit:" + chain``; each later one
carries the hash of the record before it. Editing a field changes its hash; deleting or
reordering records breaks a ``prev_hash`` link or the ``seq`` count; the chain's head (last seq
and hash, kept apart) reveals a deleted tail.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson

HASHED_FIELDS = ("chain", "seq", "at", "actor", "role", "action", "reason", "detail", "prev_hash")

HOW_TO_VERIFY = (
    "For each record in seq order: body = the record's fields chain, seq, at, actor, role, "
    "action, reason, detail, prev_hash as one JSON object with keys sorted, no whitespace, "
    "UTF-8, non-ASCII not escaped (Python: json.dumps(body, sort_keys=True, "
    "separators=(',', ':'), ensure_ascii=False).encode()); hash = SHA-256 hex of body. "
    "The first record's prev_hash is SHA-256 hex of 'miaopi-audit:' + chain; every later "
    "record's prev_hash is the hash of the record before it; seq counts 1, 2, 3 … without gaps. "
    "The last record must match head (seq and hash); head_signature is the Ed25519 signature "
    "(base64url) by the key at /v1/licence-signing-key over the canonical JSON of head, which "
    "names that key in key_id. Read every JSON document with a parser that refuses duplicated "
    "keys (Python: json.loads(text, object_pairs_hook=...) raising on a repeated key): a reader "
    "that keeps the last one can be shown a different value than the one that was signed. "
    "Licences are signed the same way over the canonical JSON of {type, key_id, ...document}, "
    "with dates written YYYY-MM-DD; approval.licences.document.SignedLicence.from_json does all "
    "of this."
)


def genesis_hash(chain: str) -> str:
    return hashlib.sha256(f"miaopi-audit:{chain}".encode()).hexdigest()


def plain_detail(value: Any) -> Any:
    """JSON that hashes the same after a database round trip: floats and dates become text."""
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): plain_detail(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [plain_detail(v) for v in value]
    return value


def record_hash(record: Mapping[str, Any]) -> str:
    # orjson with sorted keys gives the same bytes as the stdlib recipe in HOW_TO_VERIFY for
    # this JSON (no floats: plain_detail turned them into text), several times faster
    body = {f: record[f] for f in HASHED_FIELDS}
    return hashlib.sha256(orjson.dumps(body, option=orjson.OPT_SORT_KEYS)).hexdigest()


@dataclass(frozen=True, slots=True)
class Entry:
    """One thing that happened: who (key id and role), what, when, why."""

    at: dt.datetime
    actor: str
    role: str
    action: str
    reason: str | None = None
    detail: Mapping[str, Any] | None = None


def link(
    chain: str, after_seq: int, after_hash: str, entries: Iterable[Entry]
) -> list[dict[str, Any]]:
    """The rows that append these entries to a chain whose head is (after_seq, after_hash)."""
    rows = []
    prev, seq = after_hash, after_seq
    for entry in entries:
        seq += 1
        row: dict[str, Any] = {
            "chain": chain,
            "seq": seq,
            "at": entry.at.isoformat(),
            "actor": entry.actor,
            "role": entry.role,
            "action": entry.action,
            "reason": entry.reason,
            "detail": plain_detail(entry.detail or {}),
            "prev_hash": prev,
        }
        row["hash"] = prev = record_hash(row)
        rows.append(row)
    return rows


@dataclass(frozen=True, slots=True)
class Break:
    chain: str
    seq: int | None  # the first record found broken (None: the chain's head row)
    record_id: int | None
    problem: str


def verify_chain(
    chain: str, records: Sequence[Mapping[str, Any]], head: Mapping[str, Any] | None
) -> Break | None:
    """The first problem in one chain's records (in stored order), or None if it is intact."""
    prev = genesis_hash(chain)
    for expected_seq, record in enumerate(records, start=1):
        rid = record.get("id")
        if record["chain"] != chain:
            return Break(chain, record["seq"], rid, "record belongs to another chain")
        if record["seq"] != expected_seq:
            return Break(
                chain, record["seq"], rid, f"expected seq {expected_seq}: missing or moved"
            )
        if record["prev_hash"] != prev:
            return Break(chain, record["seq"], rid, "prev_hash does not match the record before")
        try:
            intact = record_hash(record) == record["hash"]
        except (TypeError, ValueError):  # e.g. a value no canonical JSON can hold
            intact = False
        if not intact:
            return Break(chain, record["seq"], rid, "content does not match its hash")
        prev = record["hash"]
    last_seq = len(records)
    if head is None:
        return Break(chain, None, None, "the chain has no head row") if records else None
    if head["seq"] != last_seq or head["hash"] != prev:
        return Break(
            chain,
            last_seq + 1 if head["seq"] > last_seq else head["seq"],
            None,
            f"head says seq {head['seq']}, records end at {last_seq}: records deleted or added",
        )
    return None
