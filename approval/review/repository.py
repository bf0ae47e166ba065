from __future__ import annotations

from typing import Any

from sqlalchemy import Row, insert, select, update
from sqlalchemy.engine import Connection

from approval.database import applications, registry_answers
from approval.kernel.status import ApplicationStatus, Outcome
from approval.review.tables import review_cases


def queue(conn: Connection) -> list[Row[Any]]:
    """Applications waiting for a person, with their case row if one was opened."""
    return list(
        conn.execute(
            select(
                applications.c.id,
                applications.c.created_at,
                applications.c.authority_code,
                applications.c.reasons,
                review_cases.c.due_on,
                review_cases.c.extended_on,
                review_cases.c.claimed_by,
                review_cases.c.claimed_at,
            )
            .select_from(
                applications.outerjoin(
                    review_cases, review_cases.c.application_id == applications.c.id
                )
            )
            .where(
                applications.c.status == ApplicationStatus.DECIDED.value,
                applications.c.outcome == Outcome.MANUAL_REVIEW.value,
            )
            .order_by(applications.c.created_at)
        )
    )


def get_application(conn: Connection, application_id: str) -> Row[Any] | None:
    return conn.execute(select(applications).where(applications.c.id == application_id)).first()


def get_case(conn: Connection, application_id: str) -> Row[Any] | None:
    return conn.execute(
        select(review_cases)
        .where(review_cases.c.application_id == application_id)
        .with_for_update()
    ).first()


def open_case(conn: Connection, **values: Any) -> None:
    conn.execute(insert(review_cases).values(**values))


def update_case(conn: Connection, application_id: str, **values: Any) -> None:
    conn.execute(
        update(review_cases).where(review_cases.c.application_id == application_id).values(**values)
    )


def answers(conn: Connection, application_id: str) -> list[Row[Any]]:
    return list(
        conn.execute(
            select(registry_answers).where(registry_answers.c.application_id == application_id)
        )
    )
