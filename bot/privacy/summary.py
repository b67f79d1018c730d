"""``mydata`` for a person: a readable summary, and the full export with every field explained.

The export (:func:`bot.privacy.data.export_person`) keeps its field names, so it
can be read by a program; the person gets, in their own language, what each part
is, how many there are, since when, and who can see it, and the file carries an
explanation of every field it contains.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

# Values kept as they are, not walked into: their inner names are not fields of ours.
OPAQUE = frozenset({"data", "message", "shared"})
TIME_KEYS = frozenset({"at", "since"})
NOT_SUMMARISED = frozenset({"exported_at"})

Translate = Callable[..., str]


def _timestamps(value: Any, key: str = "") -> Iterator[datetime]:
    """Every moment recorded in ``value`` (fields ending in ``_at``, ``at``, ``since``)."""
    if isinstance(value, dict):
        for inner_key, inner in value.items():
            if inner_key not in OPAQUE:
                yield from _timestamps(inner, inner_key)
    elif isinstance(value, list):
        for item in value:
            yield from _timestamps(item, key)
    elif isinstance(value, str) and (key.endswith("_at") or key in TIME_KEYS or key == ""):
        try:
            when = datetime.fromisoformat(value)
        except ValueError:
            return
        if when.tzinfo is not None:
            yield when


def field_names(value: Any) -> list[str]:
    """Every field name in an export, in the order they first appear."""
    seen: dict[str, None] = {}

    def walk(item: Any) -> None:
        if isinstance(item, dict):
            for key, inner in item.items():
                seen.setdefault(str(key), None)
                if key not in OPAQUE:
                    walk(inner)
        elif isinstance(item, list):
            for inner in item:
                walk(inner)

    walk(value)
    return list(seen)


def parts(export: dict[str, Any]) -> list[tuple[str, Any]]:
    """The parts a person is told about: each feature's lists and records, by name."""
    found: list[tuple[str, Any]] = []
    for key, value in export.items():
        if key in NOT_SUMMARISED:
            continue
        grouped = (
            isinstance(value, dict)
            and key != "person"
            and value
            and all(isinstance(v, list | dict | int) or v is None for v in value.values())
        )
        if grouped:
            found.extend((inner_key, inner) for inner_key, inner in value.items())
        else:
            found.append((key, value))
    return found


def summary(
    export: dict[str, Any],
    t: Translate,
    has: Callable[[str], bool],
    when: Callable[[datetime], str],
    *,
    shared: bool,
) -> str:
    """What is stored, how much, since when and who can see it, one line a part."""
    lines = [t("mydata.summary_title")]
    for name, value in parts(export):
        if value in (None, [], {}, 0, "") or isinstance(value, bool | int):
            continue
        who_key = "mydata.who.checkins_shared" if name == "checkins" and shared else ""
        who_key = who_key or f"mydata.who.{name}"
        if not has(who_key) or not has(f"mydata.field.{name}"):
            continue
        count = f" ({len(value)})" if isinstance(value, list) else ""
        moments = list(_timestamps(value))
        since = t("mydata.since", date=when(min(moments))) if moments else ""
        lines.append(
            t(
                "mydata.summary_item",
                what=t(f"mydata.field.{name}"),
                count=count,
                since=since,
                who=t(who_key),
            )
        )
    lines.append(t("mydata.summary_footer"))
    return "\n".join(lines)


def explained_json(export: dict[str, Any], t: Translate, has: Callable[[str], bool]) -> bytes:
    """The export as UTF-8 JSON (letters as they are, no escapes), led by what each of
    its fields means in the person's language."""
    explanations = {
        name: t(f"mydata.field.{name}")
        for name in field_names(export)
        if has(f"mydata.field.{name}")
    }
    document = {t("mydata.explanations_key"): explanations, **export}
    return json.dumps(document, ensure_ascii=False, indent=2, default=str).encode("utf-8")
