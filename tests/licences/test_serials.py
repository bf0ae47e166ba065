"""Serials reserved in blocks never repeat, across threads and across processes' reservations."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from approval.database import Database
from approval.licences.credit_code import credit_code_for
from approval.licences.serials import CreditSerials
from approval.migrate import upgrade_to_head


def test_serials_are_unique_across_threads_and_instances(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'serials.sqlite3'}"
    upgrade_to_head(url)
    db = Database(url)
    # two instances stand for two processes sharing the database
    first, second = CreditSerials(db.transaction, block_size=7), CreditSerials(db.transaction, 5)
    try:
        with ThreadPoolExecutor(max_workers=8) as pool:
            taken = list(
                pool.map(
                    lambda i: (first if i % 2 else second).take("321202" if i % 3 else "321281"),
                    range(600),
                )
            )
    finally:
        db.dispose()
    codes = [
        credit_code_for("321202" if i % 3 else "321281", serial) for i, serial in enumerate(taken)
    ]
    assert len(set(codes)) == 600
    assert min(taken) >= 1


def test_an_unknown_authority_gets_its_counter(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'serials.sqlite3'}"
    upgrade_to_head(url)
    db = Database(url)
    try:
        serials = CreditSerials(db.transaction, block_size=3)
        assert [serials.take("320102") for _ in range(5)] == [1, 2, 3, 4, 5]
    finally:
        db.dispose()
