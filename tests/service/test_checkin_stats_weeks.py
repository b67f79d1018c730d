"""Check-in statistics group by the same ISO weeks in SQL as week_label does in Python."""

from datetime import UTC, datetime, timedelta

from bot.checkins.rules import week_label
from bot.checkins.service import record_checkin
from bot.checkins.stats import checkin_aggregates
from bot.core.tables import by_name
from bot.db.models import Person
from tests.helpers import Chat

# Around Monday midnight UTC and around a year with 53 ISO weeks (2026-W53).
MOMENTS = [
    datetime(2026, 11, 22, 23, 59, 59, 999000, tzinfo=UTC),
    datetime(2026, 11, 23, 0, 0, tzinfo=UTC),
    datetime(2026, 12, 31, 12, 0, tzinfo=UTC),
    datetime(2027, 1, 3, 23, 59, 59, tzinfo=UTC),
    datetime(2027, 1, 4, 0, 0, 1, tzinfo=UTC),
]


async def test_weeks_counted_in_sql_match_iso_weeks(chat: Chat) -> None:
    async with chat.app.uow() as uow:
        people = [Person(created_at=MOMENTS[0]) for _ in range(2)]
        uow.session.add_all(people)
        await uow.session.flush()
        for n, moment in enumerate(MOMENTS):
            await record_checkin(uow.session, people[0].id, 1 + n % 5, None, moment)
        await record_checkin(uow.session, people[1].id, 3, None, MOMENTS[1])
        await uow.commit()
    async with chat.app.uow() as uow:
        tables = by_name(
            await checkin_aggregates(
                uow.session, MOMENTS[0] - timedelta(days=1), MOMENTS[-1] + timedelta(days=1)
            )
        )
    expected: dict[str, list[int]] = {}
    for moment in MOMENTS:
        expected.setdefault(week_label(moment), [0, 1])[0] += 1
    expected[week_label(MOMENTS[1])] = [2, 2]
    assert tables["checkins_per_week"] == [
        {"week": week, "checkins": checkins, "people": people_count}
        for week, (checkins, people_count) in sorted(expected.items())
    ]
    assert [row["week"] for row in tables["checkins_per_week"]] == [
        "2026-W47",
        "2026-W48",
        "2026-W53",
        "2027-W01",
    ]
    assert [row["count"] for row in tables["mood_distribution"]] == [1, 1, 2, 1, 1]


async def test_no_checkins_gives_empty_weeks_and_zero_moods(chat: Chat) -> None:
    async with chat.app.uow() as uow:
        tables = by_name(await checkin_aggregates(uow.session, MOMENTS[0], MOMENTS[-1]))
    assert tables["checkins_per_week"] == []
    assert [row["count"] for row in tables["mood_distribution"]] == [0, 0, 0, 0, 0]
