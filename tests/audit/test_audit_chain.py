"""The audit trail: every tampering with a record is found, and an outsider can check an export."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, update
from typer.testing import CliRunner

from approval.audit.chain import Entry, genesis_hash, link, verify_chain
from approval.audit.tables import audit_records
from approval.cli import app as cli
from approval.clock import CHINA_TZ
from approval.settings import Settings, get_settings
from tests.conftest import submit
from tests.fixtures import application_for
from tests.supervision.support import auth

FIELDS = ("at", "actor", "role", "action", "reason", "detail", "prev_hash", "hash", "seq")


def _chain(length: int) -> list[dict[str, Any]]:
    start = dt.datetime(2026, 11, 26, 9, 0, tzinfo=CHINA_TZ)
    entries = [
        Entry(start + dt.timedelta(minutes=i), f"key{i}", "staff", f"step{i}", None, {"n": i})
        for i in range(length)
    ]
    rows = link("app1", 0, genesis_hash("app1"), entries)
    return [{"id": i + 1, **row} for i, row in enumerate(rows)]


def _head(rows: list[dict[str, Any]]) -> dict[str, Any]:
    return {"chain": "app1", "seq": rows[-1]["seq"], "hash": rows[-1]["hash"]}


@st.composite
def tampering(draw: st.DrawFn) -> tuple[int, str, Any]:
    length = draw(st.integers(min_value=1, max_value=8))
    kind = draw(st.sampled_from(["edit", "delete", "reorder"]))
    if kind == "reorder" and length < 2:
        kind = "edit"
    return length, kind, draw(st.data())


@settings(max_examples=300, deadline=None)
@given(tampering())
def test_any_edit_deletion_or_reordering_is_detected(case: tuple[int, str, Any]) -> None:
    length, kind, data = case
    rows = _chain(length)
    head = _head(rows)
    assert verify_chain("app1", rows, head) is None
    index = data.draw(st.integers(min_value=0, max_value=length - 1))
    if kind == "edit":
        field = data.draw(st.sampled_from(FIELDS))
        old = rows[index][field]
        new = data.draw(
            st.one_of(
                st.text(max_size=10), st.integers(), st.dictionaries(st.text(), st.integers())
            )
        )
        if new == old:
            return
        rows[index] = {**rows[index], field: new}
    elif kind == "delete":
        del rows[index]
    else:
        other = data.draw(
            st.integers(min_value=0, max_value=length - 1).filter(lambda i: i != index)
        )
        swap_seq = data.draw(st.booleans())
        if swap_seq:  # swap their places in the sequence numbers
            a, b = rows[index], rows[other]
            rows[index], rows[other] = {**a, "seq": b["seq"]}, {**b, "seq": a["seq"]}
            rows.sort(key=lambda r: r["seq"])
        else:  # stored in another order
            rows[index], rows[other] = rows[other], rows[index]
    found = verify_chain("app1", rows, head)
    assert found is not None


def _outsider_verifies(export: dict[str, Any]) -> bool:
    """What an outside party does with only the export and the standard library + Ed25519."""
    prev = hashlib.sha256(f"miaopi-audit:{export['chain']}".encode()).hexdigest()
    for seq, record in enumerate(export["records"], start=1):
        body = {k: record[k] for k in record if k != "hash"}
        digest = hashlib.sha256(
            json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
        ).hexdigest()
        if record["seq"] != seq or record["prev_hash"] != prev or digest != record["hash"]:
            return False
        prev = record["hash"]
    head = export["head"]
    if head["hash"] != prev or head["seq"] != len(export["records"]):
        return False
    key = load_pem_public_key(export["signing_public_key_pem"].encode())
    assert isinstance(key, Ed25519PublicKey)
    signature = export["head_signature"]
    key.verify(
        base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4)),
        json.dumps(head, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode(),
    )
    return True


def test_an_application_export_can_be_checked_by_an_outsider(
    client: TestClient, keys: dict[str, str]
) -> None:
    created = submit(client, keys["terminal"], application_for("clean_owner")).json()
    export = client.get(
        f"/v1/audit/applications/{created['id']}", headers=auth(keys["staff"])
    ).json()
    assert [r["action"] for r in export["records"]] == [
        "received",
        "registries_queried",
        "decided",
        "licence_issued",
    ]
    assert export["records"][2]["detail"]["facts_sha256"]
    assert export["intact"] is True
    assert "SHA-256" in export["how_to_verify"]
    assert _outsider_verifies(export)
    export["records"][1]["detail"]["market"] = {"available": False}
    assert not _outsider_verifies(export)


def test_the_applicant_may_export_their_own_but_others_may_not(
    client: TestClient, keys: dict[str, str]
) -> None:
    mine = submit(client, keys["mobile"], application_for("clean_owner")).json()
    path = f"/v1/audit/applications/{mine['id']}"
    assert client.get(path, headers=auth(keys["mobile"])).status_code == 200
    for role in ("terminal", "supervisor", "rule_admin"):
        assert client.get(path, headers=auth(keys[role])).status_code in (403, 404)


@pytest.fixture
def cli_env(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("APPROVAL_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("APPROVAL_SIGNING_KEY_PATH", str(settings.signing_key_path))
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.mark.parametrize("tamper", ["edit", "delete_middle", "delete_tail", "reorder"])
def test_miaopi_audit_verify_names_the_first_broken_record(
    client: TestClient, keys: dict[str, str], settings: Settings, cli_env: Any, tamper: str
) -> None:
    created = [
        submit(client, keys["terminal"], application_for("clean_owner")).json()["id"]
        for _ in range(2)
    ]
    runner = CliRunner()
    ok = runner.invoke(cli, ["audit", "verify"])
    assert ok.exit_code == 0, ok.output
    # two applications, and the system chain with the creation of the five keys
    assert "3 chains, 13 records intact" in ok.output
    target = created[1]
    db = client.app.state.context.db  # type: ignore[attr-defined]
    record = audit_records.c
    with db.transaction() as conn:
        where = record.chain == target
        if tamper == "edit":
            conn.execute(update(audit_records).where(where, record.seq == 3).values(actor="x"))
        elif tamper == "delete_middle":
            conn.execute(delete(audit_records).where(where, record.seq == 2))
        elif tamper == "delete_tail":
            conn.execute(delete(audit_records).where(where, record.seq == 4))
        else:
            conn.execute(update(audit_records).where(where, record.seq == 2).values(seq=99))
            conn.execute(update(audit_records).where(where, record.seq == 3).values(seq=2))
            conn.execute(update(audit_records).where(where, record.seq == 99).values(seq=3))
    broken = runner.invoke(cli, ["audit", "verify"])
    assert broken.exit_code == 1
    expected_seq = {"edit": 3, "delete_middle": 3, "delete_tail": 4, "reorder": 2}[tamper]
    assert f"chain {target}, seq {expected_seq}" in broken.output


def test_miaopi_audit_export_writes_a_file(
    client: TestClient, keys: dict[str, str], cli_env: Any, tmp_path: Path
) -> None:
    created = submit(client, keys["terminal"], application_for("clean_owner")).json()
    out = tmp_path / "export.json"
    result = CliRunner().invoke(cli, ["audit", "export", created["id"], "--output", str(out)])
    assert result.exit_code == 0, result.output
    assert _outsider_verifies(json.loads(out.read_text()))
