from __future__ import annotations

from typing import Any

from sqlalchemy import Row, func, insert, select, update
from sqlalchemy.engine import Connection

from approval.database import applications, licences, registry_answers
from approval.objections.tables import objections


def insert_objection(conn: Connection, **values: Any) -> None:
    conn.execute(insert(objections).values(**values))


def get(conn: Connection, objection_id: str, lock: bool = False) -> Row[Any] | None:
    query = select(objections).where(objections.c.id == objection_id)
    return conn.execute(query.with_for_update() if lock else query).first()


def update_objection(conn: Connection, objection_id: str, **values: Any) -> None:
    conn.execute(update(objections).where(objections.c.id == objection_id).values(**values))


def open_objections(conn: Connection) -> list[Row[Any]]:
    return list(
        conn.execute(
            select(objections)
            .where(objections.c.stage.notin_(("closed", "refused")))
            .order_by(objections.c.stage_due_on)
        )
    )


def licence(conn: Connection, credit_code: str, lock: bool = False) -> Row[Any] | None:
    query = select(licences).where(licences.c.credit_code == credit_code)
    return conn.execute(query.with_for_update() if lock else query).first()


def application(conn: Connection, application_id: str) -> Row[Any] | None:
    return conn.execute(select(applications).where(applications.c.id == application_id)).first()


def answers(conn: Connection, application_id: str) -> list[Row[Any]]:
    return list(
        conn.execute(
            select(registry_answers).where(registry_answers.c.application_id == application_id)
        )
    )


def set_licence_status(conn: Connection, credit_code: str, status: str) -> None:
    conn.execute(
        update(licences).where(licences.c.credit_code == credit_code).values(status=status)
    )


def standing_revocations(conn: Connection, credit_code: str) -> int:
    """Objections whose decision to revoke this licence stands (not annulled)."""
    return int(
        conn.execute(
            select(func.count())
            .select_from(objections)
            .where(objections.c.credit_code == credit_code, objections.c.decision == "revoke")
        ).scalar_one()
    )
