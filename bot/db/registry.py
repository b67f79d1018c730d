"""Imports every feature's tables so the metadata is complete."""

from __future__ import annotations

import importlib

from sqlalchemy import MetaData

from bot.db.base import Base

FEATURE_MODEL_MODULES = (
    "bot.db.models",
    "bot.checkins.models",
    "bot.buddies.models",
    "bot.meals.models",
    "bot.organising.models",
)


def all_metadata() -> MetaData:
    """The metadata with every feature's tables registered."""
    for name in FEATURE_MODEL_MODULES:
        try:
            importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name is None or not name.startswith(exc.name):
                raise
    return Base.metadata
