"""However many ask for the public statistics at once, the database computes them once."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

from approval.stats.endpoints import SharedFigures


def test_callers_at_the_same_time_share_one_computation() -> None:
    release = threading.Event()
    computed: list[int] = []

    def compute() -> Any:
        computed.append(threading.get_ident())
        assert release.wait(timeout=30)
        return {"applications": len(computed)}

    shared = SharedFigures()

    async def scenario() -> tuple[list[dict[str, Any]], dict[str, Any]]:
        callers = [asyncio.ensure_future(shared.get(compute)) for _ in range(5)]
        await asyncio.sleep(0)  # every caller is waiting now
        gone = callers.pop()
        gone.cancel()  # one goes away: the others still get their answer
        release.set()
        answers = await asyncio.gather(*callers)
        later = await shared.get(compute)
        return answers, later

    answers, later = asyncio.run(scenario())
    assert answers == [{"applications": 1}] * 4
    assert later == {"applications": 2}  # asked after the first was done: computed afresh
    assert threading.get_ident() not in computed  # on a worker thread, never the loop's


def test_a_failure_reaches_every_caller_and_the_next_one_tries_again() -> None:
    attempts: list[int] = []

    def compute() -> Any:
        attempts.append(1)
        if len(attempts) == 1:
            raise RuntimeError("database unavailable")
        return {"applications": 0}

    shared = SharedFigures()

    async def scenario() -> tuple[list[Any], dict[str, Any]]:
        first = await asyncio.gather(
            shared.get(compute), shared.get(compute), return_exceptions=True
        )
        return first, await shared.get(compute)

    first, again = asyncio.run(scenario())
    assert [type(e) for e in first] == [RuntimeError, RuntimeError]
    assert again == {"applications": 0}
    assert len(attempts) == 2
