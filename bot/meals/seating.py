"""Who sits at which table when a meal is split: pure, no I/O.

Tables are balanced, volunteers are spread one per table as hosts, a person's
companions (``+1``) sit with them, and two people who are buddies sit at the same
table. A group never makes a table bigger than ``table_size``: when no table has
room for it, another table is opened rather than parting the buddies. Only one
person whose companions alone are more than a table holds (``table_size`` may be set
below a person and their most companions) sits at a bigger table: their own.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from bot.meals.rules import Seat, Table, table_count


def load(seats: Iterable[Seat]) -> int:
    """Seats taken: each person and their companions."""
    return sum(1 + seat.companions for seat in seats)


def _groups(
    seats: Sequence[Seat], pairs: Iterable[tuple[int, int]], table_size: int
) -> list[list[Seat]]:
    """People who sit together (buddies, joined up), in the order their first joined."""
    group_of = {seat.person_id: [seat] for seat in seats}
    for first, second in pairs:
        one, other = group_of.get(first), group_of.get(second)
        if one is None or other is None or one is other:
            continue
        if load(one) + load(other) > table_size:
            continue  # too many for one table: better apart than nobody seated
        one.extend(other)
        for seat in other:
            group_of[seat.person_id] = one
    order = {seat.person_id: index for index, seat in enumerate(seats)}
    unique = {id(group): group for group in group_of.values()}.values()
    return sorted(
        (sorted(group, key=lambda s: order[s.person_id]) for group in unique),
        key=lambda group: order[group[0].person_id],
    )


def split_tables(
    seats: Sequence[Seat], table_size: int, pairs: Iterable[tuple[int, int]] = ()
) -> list[Table]:
    """Tables for the people in ``seats`` (in the order they joined).

    Deterministic: the same people, order and pairs give the same tables.
    """
    groups = _groups(seats, pairs, table_size)
    tables: list[list[Seat]] = [[] for _ in range(table_count(load(seats), table_size))]

    def put(group: list[Seat], preferred: int | None = None) -> None:
        fits = [i for i, t in enumerate(tables) if load(t) + load(group) <= table_size]
        if preferred is not None and preferred in fits:
            tables[preferred].extend(group)
        elif fits:  # the emptiest table with room, the first of equals
            tables[min(fits, key=lambda i: (load(tables[i]), i))].extend(group)
        else:  # no table has room: a table of their own (buddies are only joined up
            # when they fit at one table, so only one person whose companions overfill
            # it can sit at a bigger one; seating them apart from those would never end)
            tables.append(list(group))

    hosting = [g for g in groups if any(s.is_volunteer for s in g)]
    # Volunteers first, one per table in turn, so every table gets a host when possible.
    for turn, group in enumerate(hosting):
        put(group, turn % len(tables))
    # Then the biggest groups (while there is most room), else in the order they joined.
    rest = [g for g in groups if not any(s.is_volunteer for s in g)]
    for group in sorted(rest, key=lambda g: -load(g)):
        put(group)
    return [
        Table(
            number=i + 1,
            seats=tuple(members),
            host=next((s.person_id for s in members if s.is_volunteer), None),
        )
        for i, members in enumerate(tables)
    ]
