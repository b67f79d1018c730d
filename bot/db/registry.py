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
    "bot.safety.models",
    "bot.impact.models",
)


def all_metadata() -> MetaData:
    """The metadata with every feature's tables registered."""
    for name in FEATURE_MODEL_MODULES:
        importlib.import_module(name)
    return Base.metadata
