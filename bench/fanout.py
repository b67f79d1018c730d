"""Send many messages through an adapter the way the outbox deliverer does.

Up to ``limit`` sends are in flight at once; messages to the same destination go
one after another, in the order given (an asyncio semaphore of ``limit`` and one
task per destination). Used by the fan-out benchmarks and their tests.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from bot.core.events import Outgoing, SendResult

Send = Callable[[Outgoing], Awaitable[SendResult]]


def destination(message: Outgoing) -> Any:
    return getattr(message, "to", None) or id(message)


async def send_concurrently(
    send: Send, messages: Sequence[Outgoing], *, limit: int = 10
) -> list[SendResult]:
    """Each message's result, in the order given; exceptions become failed results."""
    results: list[SendResult | None] = [None] * len(messages)
    queues: dict[Any, list[int]] = {}
    for index, message in enumerate(messages):
        queues.setdefault(destination(message), []).append(index)
    gate = asyncio.Semaphore(max(1, limit))

    async def one_destination(indexes: list[int]) -> None:
        for index in indexes:
            async with gate:
                try:
                    results[index] = await send(messages[index])
                except Exception as error:  # as the deliverer: a failure keeps the row
                    results[index] = SendResult(ok=False, reason=type(error).__name__)

    await asyncio.gather(*(one_destination(indexes) for indexes in queues.values()))
    return [r if r is not None else SendResult(ok=False, reason="unsent") for r in results]
