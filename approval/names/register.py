"""The name register: the names this authority issued, reserved or freed, as R23–R25 see them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.engine import Connection

from approval.names import repository
from approval.names.analysis import NameLexicon
from approval.names.comparison import (
    COOLING_OFF,
    FreedReason,
    NameClaim,
    NameTaken,
    RegisterFacts,
    name_claim,
)

__all__ = [
    "RegisteredBefore",
    "claim_name",
    "free_name",
    "look_up",
    "register_issued_names",
    "reserve_name",
    "restore_name",
]


def _is_taken_from(row: repository.NameRow, claim: NameClaim) -> bool:
    """Whether a held name keeps it from this applicant: their own reservation does not."""
    return row.status != "reserved" or row.holder_id_number != claim.holder_id_number


def look_up(conn: Connection, claim: NameClaim, now: dt.datetime) -> RegisterFacts:
    """What R23, R24 and R25 need to know from the register about ``claim``."""
    identical_to: repository.NameRow | None = None
    own_until: dt.datetime | None = None
    for row in repository.taken_with_key(conn, claim.authority_code, claim.comparison_key, now):
        if _is_taken_from(row, claim):
            identical_to = row
        else:
            own_until = row.reserved_until
    freed = repository.freed_since(
        conn, claim.authority_code, claim.comparison_key, now - COOLING_OFF
    )
    # the same operator may take back a name they gave up (an investment relationship,
    # Art.17); a revoked name is never theirs again within the year
    freed = [
        row
        for row in freed
        if row.freed_reason == FreedReason.REVOKED or row.holder_id_number != claim.holder_id_number
    ]
    similar = None
    if identical_to is None and len(claim.trade_name) >= 2:
        similar = next(
            (
                row
                for row in repository.taken_with_trade_like(
                    conn,
                    claim.authority_code,
                    claim.trade_name,
                    _substrings(claim.trade_name),
                    now,
                )
                if row.comparison_key != claim.comparison_key and _is_taken_from(row, claim)
            ),
            None,
        )
    return RegisterFacts(
        identical_to=identical_to.name if identical_to else None,
        identical_reserved=identical_to is not None and identical_to.status == "reserved",
        freed_name=freed[0].name if freed else None,
        freed_on=freed[0].freed_at.date() if freed and freed[0].freed_at else None,
        similar_to=similar.name if similar else None,
        own_reservation_until=own_until,
    )


def _substrings(trade: str) -> list[str]:
    """Every part of a 字号 of two characters or more: a registered 字号 it contains is similar."""
    return sorted(
        {trade[i:j] for i in range(len(trade)) for j in range(i + 2, len(trade) + 1)}, key=len
    )


def claim_name(
    conn: Connection,
    claim: NameClaim,
    *,
    credit_code: str,
    application_id: str,
    actor: str,
    now: dt.datetime,
) -> None:
    """Put the name on this licence, consuming the holder's reservation; raise `NameTaken` when
    someone else has it (the unique index decides between simultaneous claims)."""
    if repository.consume_reservation(
        conn, claim, credit_code=credit_code, application_id=application_id, now=now
    ):
        return
    repository.expire_reservations(conn, claim.authority_code, claim.comparison_key, now)
    if not repository.insert_if_free(
        conn,
        claim,
        status="active",
        credit_code=credit_code,
        application_id=application_id,
        reserved_until=None,
        actor=actor,
        now=now,
    ):
        raise NameTaken(claim.name)


def reserve_name(
    conn: Connection, claim: NameClaim, *, until: dt.datetime, actor: str, now: dt.datetime
) -> int:
    """Reserve a free name for its holder; raise `NameTaken` when it is not free."""
    repository.expire_reservations(conn, claim.authority_code, claim.comparison_key, now)
    reservation_id = repository.insert_if_free(
        conn,
        claim,
        status="reserved",
        credit_code=None,
        application_id=None,
        reserved_until=until,
        actor=actor,
        now=now,
    )
    if reservation_id is None:
        raise NameTaken(claim.name)
    return reservation_id


def free_name(conn: Connection, credit_code: str, reason: FreedReason, now: dt.datetime) -> None:
    """The licence's name is no longer in use; it stays refused for a year (R24)."""
    repository.free_by_credit_code(conn, credit_code, reason.value, now)


def restore_name(conn: Connection, credit_code: str) -> bool:
    """A revocation annulled: the name is the licence's again, unless someone took it meanwhile
    (only possible after the year of R24); False then."""
    return repository.restore_by_credit_code(conn, credit_code)


@dataclass(frozen=True, slots=True)
class RegisteredBefore:
    """What putting the names of licences issued before the register existed on it found."""

    added: int
    # (credit code, its name, the name already holding the key): issued twice back then
    duplicates: tuple[tuple[str, str, str], ...]


def register_issued_names(
    conn: Connection, lexicon: NameLexicon, now: dt.datetime
) -> RegisteredBefore:
    """Put every current licence's name that the register does not know on it, oldest first,
    so that names issued before the register are refused to the next applicant too. A name
    issued twice back then stays with the oldest licence and is reported for staff."""
    added = 0
    duplicates: list[tuple[str, str, str]] = []
    for row in repository.current_licences_not_registered(conn):
        document = row.document
        claim = name_claim(
            document.get("name"), document["authority_code"], row.operator_id_number, lexicon
        )
        if claim is None:
            continue
        try:
            claim_name(
                conn,
                claim,
                credit_code=row.credit_code,
                application_id=row.application_id,
                actor="register-issued",
                now=now,
            )
            added += 1
        except NameTaken:
            holder = look_up(conn, claim, now).identical_to or ""
            duplicates.append((row.credit_code, claim.name, holder))
    return RegisteredBefore(added, tuple(duplicates))
