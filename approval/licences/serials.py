"""Serials for credit codes, reserved from the database in blocks.

Each process reserves a block of serials per authority with one atomic UPDATE and hands them
out from memory, so an approval costs no counter round trip. Blocks never overlap, so codes
stay unique across any number of processes; a block left unused at shutdown leaves a gap,
which a credit code may have.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from contextlib import AbstractContextManager

from sqlalchemy.engine import Connection

from approval.licences import repository

BLOCK_SIZE = 50


class CreditSerials:
    def __init__(
        self,
        transaction: Callable[[], AbstractContextManager[Connection]],
        block_size: int = BLOCK_SIZE,
    ) -> None:
        self._transaction = transaction
        self._block_size = block_size
        self._blocks: dict[str, tuple[int, int]] = {}  # authority -> (next, end)
        self._lock = threading.Lock()

    def needs_block(self, authority_code: str) -> bool:
        """Whether the next ``take`` would reserve a new block (a database write)."""
        next_serial, end = self._blocks.get(authority_code, (0, 0))
        return next_serial >= end

    def ensure_block(self, authority_code: str) -> None:
        """Reserve a block now if the next ``take`` would: callers on an event loop run this on
        a worker thread first, so that ``take`` stays in memory."""
        with self._lock:
            next_serial, end = self._blocks.get(authority_code, (0, 0))
            if next_serial >= end:
                with self._transaction() as conn:
                    self._blocks[authority_code] = repository.reserve_serials(
                        conn, authority_code, self._block_size
                    )

    def take(self, authority_code: str) -> int:
        with self._lock:
            next_serial, end = self._blocks.get(authority_code, (0, 0))
            if next_serial >= end:
                with self._transaction() as conn:
                    next_serial, end = repository.reserve_serials(
                        conn, authority_code, self._block_size
                    )
            self._blocks[authority_code] = (next_serial + 1, end)
            return next_serial
