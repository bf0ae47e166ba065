"""Keys have a life: listed, revoked (audited), and refused by every process soon after."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event
from typer.testing import CliRunner

from api import create_app
from approval.access.service import KeyCache
from approval.audit.service import SYSTEM_CHAIN, entries_for
from approval.cli import app as cli
from approval.database import Database, api_keys
from approval.settings import Settings, get_settings
from tests.fixtures.clock import Clock

runner = CliRunner()
MOBILE_SUBJECT = "322421198002194811"


@pytest.fixture
def cli_env(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("APPROVAL_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("APPROVAL_SIGNING_KEY_PATH", str(settings.signing_key_path))
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def _cli(*args: str) -> str:
    result = runner.invoke(cli, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def _listed(output: str) -> dict[str, dict[str, str]]:
    header, *rows = output.splitlines()
    names = header.split("\t")
    return {row.split("\t")[0]: dict(zip(names, row.split("\t"), strict=True)) for row in rows}


def _system_records(settings: Settings) -> list[dict[str, object]]:
    db = Database(settings.database_url)
    try:
        with db.reading() as conn:
            return entries_for(conn, SYSTEM_CHAIN)
    finally:
        db.dispose()


def test_keys_are_listed_and_revoked_from_the_command_line(
    cli_env: None, settings: Settings
) -> None:
    _cli("keys", "create", "--role", "terminal", "--label", "城东大厅 1 号机", "--hall", "TZ-T01")
    _cli("keys", "create", "--role", "mobile", "--subject", MOBILE_SUBJECT)
    _cli("keys", "create", "--role", "supervisor", "--department", "SCJG")
    listing = _cli("keys", "list")
    assert MOBILE_SUBJECT not in listing
    keys = _listed(listing)
    by_role = {row["role"]: row for row in keys.values()}
    assert by_role["terminal"]["label"] == "城东大厅 1 号机"
    assert by_role["terminal"]["hall"] == "TZ-T01"
    assert by_role["mobile"]["subject"] == "322421********4811"
    assert by_role["supervisor"]["department"] == "SCJG"
    assert all(row["revoked"] == "-" for row in keys.values())

    terminal = by_role["terminal"]["id"]
    assert _cli("keys", "revoke", terminal).strip() == f"revoked {terminal}"
    after = _listed(_cli("keys", "list"))
    revoked = after[terminal]["revoked"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d by cli(:.+)?", revoked), revoked
    assert after[by_role["mobile"]["id"]]["revoked"] == "-"

    again = runner.invoke(cli, ["keys", "revoke", terminal])
    assert again.exit_code == 2
    assert "已于" in again.output
    unknown = runner.invoke(cli, ["keys", "revoke", "0123456789abcdef"])
    assert unknown.exit_code == 2
    assert "没有编号为 0123456789abcdef 的 API 密钥" in unknown.output

    records = _system_records(settings)
    assert [r["action"] for r in records] == ["api_key_created"] * 3 + ["api_key_revoked"]
    assert all(str(r["actor"]).startswith("cli") and r["role"] == "operator" for r in records)
    assert records[-1]["detail"]["key_id"] == terminal  # type: ignore[index]
    assert MOBILE_SUBJECT not in str(records)
    assert "intact" in _cli("audit", "verify")


def test_staff_revoke_a_key_over_the_api(client: TestClient, keys: dict[str, str]) -> None:
    staff = {"Authorization": f"Bearer {keys['staff']}"}
    listed = client.get("/v1/keys", headers=staff).json()["keys"]
    assert {k["role"] for k in listed} == {
        "terminal",
        "mobile",
        "staff",
        "rule_admin",
        "supervisor",
    }
    mobile = next(k for k in listed if k["role"] == "mobile")
    assert "*" in mobile["subject"]
    staff_id = next(k["id"] for k in listed if k["role"] == "staff")
    terminal_id = next(k["id"] for k in listed if k["role"] == "terminal")

    for role in ("terminal", "mobile", "rule_admin", "supervisor"):
        other = {"Authorization": f"Bearer {keys[role]}"}
        assert client.post(f"/v1/keys/{terminal_id}/revoke", headers=other).status_code == 403
        assert client.get("/v1/keys", headers=other).status_code == 403
    assert client.post(f"/v1/keys/{terminal_id}/revoke").status_code == 401

    revoked = client.post(f"/v1/keys/{terminal_id}/revoke", headers=staff)
    assert revoked.status_code == 200
    assert revoked.json()["revoked_by"] == staff_id
    assert revoked.json()["revoked_at"] is not None
    again = client.post(f"/v1/keys/{terminal_id}/revoke", headers=staff)
    assert (again.status_code, again.json()["code"]) == (409, "key_already_revoked")
    missing = client.post("/v1/keys/nope/revoke", headers=staff)
    assert (missing.status_code, missing.json()["code"]) == (404, "key_not_found")

    db = client.app.state.context.db  # type: ignore[attr-defined]
    with db.reading() as conn:
        records = entries_for(conn, SYSTEM_CHAIN)
    revocation = records[-1]
    assert (revocation["action"], revocation["actor"], revocation["role"]) == (
        "api_key_revoked",
        staff_id,
        "staff",
    )
    assert [r["action"] for r in records].count("api_key_created") == 5


def test_a_revoked_key_is_refused_by_every_process_once_it_checks_the_generation(
    settings: Settings, keys: dict[str, str]
) -> None:
    terminal = {"Authorization": f"Bearer {keys['terminal']}"}
    staff = {"Authorization": f"Bearer {keys['staff']}"}
    with TestClient(create_app(settings)) as first, TestClient(create_app(settings)) as second:
        clocks = {first: Clock(), second: Clock()}
        for client, clock in clocks.items():
            client.app.state.context.keys = KeyCache(clock=clock)  # type: ignore[attr-defined]
            assert client.get("/v1/applications", headers=terminal).status_code == 200
        terminal_id = next(
            k["id"]
            for k in first.get("/v1/keys", headers=staff).json()["keys"]
            if k["role"] == "terminal"
        )
        assert first.post(f"/v1/keys/{terminal_id}/revoke", headers=staff).status_code == 200

        # the second process still has the key cached: it looks at the generation at most
        # every half second, and drops its cache when the generation has moved
        clocks[second].now += 0.25
        assert second.get("/v1/applications", headers=terminal).status_code == 200
        clocks[second].now += 0.25
        refused = second.get("/v1/applications", headers=terminal)
        assert (refused.status_code, refused.json()["code"]) == (401, "unauthenticated")
        clocks[first].now += 0.5
        assert first.get("/v1/applications", headers=terminal).status_code == 401
        # other keys are looked up afresh and still work
        assert second.get("/v1/applications", headers=staff).status_code == 200


@pytest.fixture
def counted(client: TestClient) -> Iterator[tuple[Database, list[str]]]:
    db: Database = client.app.state.context.db  # type: ignore[attr-defined]
    statements: list[str] = []

    def record(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    yield db, statements
    event.remove(db.engine, "before_cursor_execute", record)


def _reads(statements: list[str], table: str) -> int:
    return sum(1 for s in statements if s.lstrip().upper().startswith("SELECT") and table in s)


def test_the_generation_is_read_at_most_once_per_interval(
    counted: tuple[Database, list[str]], keys: dict[str, str]
) -> None:
    db, statements = counted
    clock = Clock()
    cache = KeyCache(clock=clock)
    for _ in range(100):
        assert cache.resolve(db.transaction, keys["terminal"]) is not None
        clock.now += 0.004
    assert _reads(statements, "api_key_generation") == 1
    assert _reads(statements, "api_keys") == 1
    clock.now += 0.1
    assert cache.resolve(db.transaction, keys["terminal"]) is not None
    assert _reads(statements, "api_key_generation") == 2
    assert _reads(statements, "api_keys") == 1  # the generation had not moved: cache kept


def test_a_flood_of_unknown_keys_does_not_evict_known_ones(
    counted: tuple[Database, list[str]], keys: dict[str, str]
) -> None:
    db, statements = counted
    cache = KeyCache(clock=Clock())
    good = [keys[role] for role in ("terminal", "mobile", "staff")]
    for secret in good:
        assert cache.resolve(db.transaction, secret) is not None
    for n in range(12_000):
        assert cache.resolve(db.transaction, f"mpk_terminal_guess{n}") is None
    statements.clear()
    for secret in good:
        assert cache.resolve(db.transaction, secret) is not None
    assert _reads(statements, "api_keys") == 0


@pytest.mark.parametrize("by_hand", ["revoke", "delete"])
def test_a_key_revoked_by_hand_in_the_database_is_refused_within_the_interval(
    counted: tuple[Database, list[str]], keys: dict[str, str], by_hand: str
) -> None:
    db, _ = counted
    clock = Clock()
    cache = KeyCache(clock=clock)
    assert cache.resolve(db.transaction, keys["terminal"]) is not None
    with db.transaction() as conn:  # plain SQL: the database itself moves the generation
        terminal = api_keys.c.role == "terminal"
        if by_hand == "revoke":
            conn.execute(api_keys.update().where(terminal).values(revoked_at=api_keys.c.created_at))
        else:
            conn.execute(api_keys.delete().where(terminal))
    clock.now += 0.25
    assert cache.resolve(db.transaction, keys["terminal"]) is not None  # not yet looked
    clock.now += 0.25
    assert cache.resolve(db.transaction, keys["terminal"]) is None
