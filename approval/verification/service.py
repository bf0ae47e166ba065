"""The evidence of registry exchanges, the citizen's view of it, and parking an application."""

from __future__ import annotations

import datetime as dt
import random
import time
from collections.abc import Sequence
from typing import Any

from sqlalchemy.engine import Connection

from approval.errors import Forbidden
from approval.kernel.principal import Principal, Role
from approval.settings import Settings
from approval.verification import repository
from connectors.exchanges import Exchange
from connectors.registries import REGISTRIES

STATUS_TEXT = {
    "ok": "已答复",
    "no_answer": "未在时限内答复",
    "timeout": "超时未答复",
    "connect_error": "无法连接",
    "http_5xx": "系统故障",
    "http_4xx": "拒绝查询",
    "bad_signature": "答复签名无效",
    "malformed": "答复格式有误",
    "unavailable": "暂不可用",
}


def exchange_rows(
    exchanges: Sequence[Exchange],
    application_id: str | None,
    subject_id_number: str,
    now: dt.datetime,
) -> list[dict[str, Any]]:
    """The log rows of these exchanges, timed on the service clock (``now`` is that clock's).

    An exchange still open (cut off by the deadline) is stored as ``no_answer`` with the time
    it had been waiting.
    """
    perf_now = time.perf_counter()
    return [
        {
            "application_id": application_id,
            "subject_id_number": subject_id_number,
            "registry": x.registry.value,
            "operation": x.operation,
            "message_id": x.message_id,
            "attempt": x.attempt,
            "acting_system": x.acting_system[:64],
            "legal_basis": x.legal_basis[:200],
            "request_hash": x.request_hash,
            "response_hash": x.response_hash,
            "status": x.status,
            "http_status": x.http_status,
            "latency_ms": x.elapsed_ms(),
            "at": now - dt.timedelta(seconds=perf_now - x.started),
        }
        for x in exchanges
    ]


def store_exchanges(
    conn: Connection,
    exchanges: Sequence[Exchange],
    application_id: str | None,
    subject_id_number: str,
    now: dt.datetime,
) -> None:
    repository.insert_exchanges(
        conn, exchange_rows(exchanges, application_id, subject_id_number, now)
    )


def backoff_seconds(settings: Settings, attempts: int, rng: random.Random | None = None) -> float:
    """Exponential with jitter (half fixed, half random), capped."""
    ceiling = min(
        settings.verification_backoff_max_seconds,
        settings.verification_backoff_seconds * 2.0 ** max(attempts, 0),
    )
    jitter = rng.uniform(0, ceiling / 2) if rng else random.uniform(0, ceiling / 2)
    return ceiling / 2 + jitter


def park(conn: Connection, settings: Settings, application_id: str, now: dt.datetime) -> None:
    """Queue a pending_verification application for the worker (in the submit's transaction)."""
    repository.enqueue(
        conn,
        application_id,
        next_attempt_at=now + dt.timedelta(seconds=backoff_seconds(settings, 0)),
        give_up_at=now + dt.timedelta(seconds=settings.verification_limit_seconds),
    )


def _json_time(value: dt.datetime) -> str:
    return value.isoformat()


def data_access_log(conn: Connection, principal: Principal, limit: int = 200) -> dict[str, Any]:
    """Which registry was queried about the key's holder, when, for which application and why."""
    if principal.role != Role.MOBILE or principal.subject is None:
        raise Forbidden("只有绑定本人身份的手机 App 密钥可以查看本人的数据查询记录")
    rows = repository.list_exchanges_about(conn, principal.subject, limit)
    return {
        "items": [
            {
                "at": _json_time(r.at),
                "registry": r.registry,
                "registry_name": _citizen_name(r.registry),
                "operation": r.operation,
                "application_id": r.application_id,
                "acting_system": r.acting_system,
                "purpose": f"办理个体工商户登记申请 {r.application_id}"
                if r.application_id
                else "名称自主申报：查询或保留拟使用的名称",
                "legal_basis": r.legal_basis,
                "result": STATUS_TEXT.get(r.status, r.status),
            }
            for r in rows
        ]
    }


def _citizen_name(registry: str) -> str:
    """The registry's name in the citizen's words; a registry no longer consulted keeps its key."""
    try:
        return REGISTRIES[registry].citizen_name
    except KeyError:
        return registry
