"""Who belongs together, asked by one feature and answered by another without either
importing the other: a meal seats buddies at one table, and buddies say who is a pair.

A feature answers with ``@registry.pairs_source``; an asking feature calls
:func:`pairs_among`. When no feature answers (buddies not loaded), nobody is a pair.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection

from sqlalchemy.ext.asyncio import AsyncSession

PairsSource = Callable[[AsyncSession, Collection[int]], Awaitable[list[tuple[int, int]]]]


async def pairs_among(
    sources: Collection[PairsSource], session: AsyncSession, person_ids: Collection[int]
) -> list[tuple[int, int]]:
    """Every pair the sources know of whose two people are both among ``person_ids``."""
    found: list[tuple[int, int]] = []
    for source in sources:
        found += await source(session, person_ids)
    return found
