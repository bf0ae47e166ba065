"""Rating an application: only its applicant, only once, only when it is completed."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import insert
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from approval.applications import repository as applications_repository
from approval.errors import AlreadyRated, ApplicationNotFound, NotYetCompleted
from approval.feedback.schemas import RatingCreate
from approval.feedback.tables import ratings
from approval.kernel.principal import Principal
from approval.kernel.status import is_completed


def rate(
    conn: Connection,
    principal: Principal,
    application_id: str,
    rating: RatingCreate,
    now: dt.datetime,
) -> None:
    row = applications_repository.get_application(conn, application_id)
    if row is None or not principal.may_read(row.key_id, row.operator_id_number):
        raise ApplicationNotFound()
    if not is_completed(row.status, row.outcome):
        raise NotYetCompleted("申请尚未办结，办结后才能评价")
    try:
        with conn.begin_nested():
            conn.execute(
                insert(ratings).values(
                    application_id=application_id,
                    rating=rating.rating,
                    comment=rating.comment,
                    key_id=principal.key_id,
                    created_at=now,
                )
            )
    except IntegrityError:
        raise AlreadyRated("每件申请只能评价一次") from None
