"""The unit of work: one session, rolled back unless committed."""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker


class UnitOfWork:
    """``async with uow_factory() as uow: ...; await uow.commit()``."""

    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        after_commit: list[Callable[[dict[str, Any]], None]] | None = None,
    ) -> None:
        self._factory = session_factory
        self._after_commit = after_commit or []
        self._session: AsyncSession | None = None

    @property
    def session(self) -> AsyncSession:
        if self._session is None:
            raise RuntimeError("the unit of work is not open")
        return self._session

    async def __aenter__(self) -> UnitOfWork:
        self._session = self._factory()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        session = self.session
        try:
            await session.rollback()
        finally:
            await session.close()
            self._session = None

    async def commit(self) -> None:
        session = self.session
        await session.commit()
        # What the work noted in ``session.info`` (e.g. "something is due now") is
        # acted on once it is safely stored.
        for hook in self._after_commit:
            hook(session.info)
        session.info.clear()

    async def rollback(self) -> None:
        await self.session.rollback()


class UnitOfWorkFactory:
    """Makes units of work on one session factory."""

    def __init__(self, session_factory: async_sessionmaker[AsyncSession]) -> None:
        self.session_factory = session_factory
        self.after_commit: list[Callable[[dict[str, Any]], None]] = []

    def __call__(self) -> UnitOfWork:
        return UnitOfWork(self.session_factory, self.after_commit)
