"""Why someone still waits (decided by the matcher), when they hear it, the agreed term
of a pair and the pause date: pure rules, checked on random input (hypothesis)."""

from __future__ import annotations

import calendar
import itertools
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.buddies import terms
from bot.buddies.matching import match_round, why_waiting
from bot.buddies.scoring import Candidate
from bot.core.i18n import Translator
from tests.unit.test_buddy_matching import people, pools

Pool = tuple[list[Candidate], list[Candidate], set[frozenset[int]]]
REASONS = (
    "no_volunteer_language",
    "no_volunteer_capacity",
    "only_previous",
    "no_peer_language",
    "no_language",
    "no_capacity",
)


@st.composite
def pools_with_full(draw: st.DrawFn) -> tuple[Pool, list[Candidate]]:
    """A pool, and volunteers with no room left (some ever paired with someone waiting)."""
    participants, volunteers, excluded = draw(pools())
    full = draw(people(200, True))
    for volunteer in full:
        if participants and draw(st.booleans()):
            excluded.add(
                frozenset((volunteer.person_id, draw(st.sampled_from(participants)).person_id))
            )
    return (participants, volunteers, excluded), full


@settings(max_examples=300, deadline=None)
@given(pools_with_full())
def test_every_waiting_person_gets_a_true_reason(drawn: tuple[Pool, list[Candidate]]) -> None:
    (participants, volunteers, excluded), full = drawn
    result = match_round(participants, volunteers, excluded, full)
    by_id = {p.person_id: p for p in participants}
    for person_id, (reason, language) in result.waiting.items():
        person = by_id[person_id]
        assert reason in REASONS
        assert language in person.languages
        # The one-by-one reason is the same as the one decided for the whole pool.
        assert (reason, language) == why_waiting(
            person, participants, volunteers, excluded, Counter(), full
        )
        speaking = [v for v in volunteers if v.languages & person.languages]
        allowed = [v for v in speaking if frozenset((person_id, v.person_id)) not in excluded]
        busy = [
            v
            for v in full
            if v.languages & person.languages
            and frozenset((person_id, v.person_id)) not in excluded
        ]
        peers = [
            p
            for p in participants
            if p.person_id != person_id
            and p.kind in ("peer", "any")
            and p.languages & person.languages
            and frozenset((person_id, p.person_id)) not in excluded
        ]
        if reason == "no_volunteer_language":
            # Plain words must be true: nobody who speaks their language volunteers.
            assert person.kind == "volunteer"
            assert not speaking
            assert not busy
        elif reason == "no_volunteer_capacity":
            # Someone speaks it, but has no room (or room went to others this round).
            assert person.kind == "volunteer"
            assert allowed or busy
        elif reason == "only_previous":
            assert person.kind == "volunteer"
            assert speaking
            assert not allowed
        elif reason == "no_peer_language":
            assert person.kind == "peer"
            assert not peers
        elif reason == "no_language":
            assert person.kind == "any"
            assert not peers
            assert not speaking
            assert not busy
        else:
            assert person.kind in ("peer", "any")
            assert peers or speaking or busy
    # Full volunteers are never proposed.
    assert not {p.partner for p in result.proposals} & {v.person_id for v in full}


def test_a_lone_arabic_speaker_hears_the_language_is_missing() -> None:
    sami = Candidate(1, frozenset({"ar"}), kind="volunteer")
    vera = Candidate(100, frozenset({"da"}), kind="any", capacity=2)
    result = match_round([sami], [vera], set())
    assert result.waiting == {1: ("no_volunteer_language", "ar")}
    # Once a volunteer who speaks Arabic is there but full, the reason changes.
    result = match_round([sami], [], set())
    assert result.waiting == {1: ("no_volunteer_language", "ar")}
    busy = Candidate(101, frozenset({"ar"}), kind="any", capacity=0)
    result = match_round([sami], [], set(), [busy])
    assert result.waiting == {1: ("no_volunteer_capacity", "ar")}
    assert not result.proposals
    # ...unless that volunteer was paired with them before: then none is there for them.
    result = match_round([sami], [], {frozenset((1, 101))}, [busy])
    assert result.waiting == {1: ("no_volunteer_language", "ar")}


def test_every_reason_has_plain_words_in_every_language(translator: Translator) -> None:
    for lang in ("da", "nb", "en"):
        for reason in REASONS:
            text = translator.text(lang, f"buddy.waiting_reason.{reason}", language="x")
            assert text != f"buddy.waiting_reason.{reason}"


AT = st.datetimes(
    min_value=datetime(2024, 1, 1), max_value=datetime(2030, 1, 1), timezones=st.just(UTC)
)


@settings(max_examples=300, deadline=None)
@given(AT, st.lists(st.integers(0, 60 * 24 * 60), min_size=1, max_size=40), st.integers(7, 30))
def test_waiting_notices_one_why_then_at_most_one_per_period(
    since: datetime, minutes: list[int], every: int
) -> None:
    told: datetime | None = None
    sent: list[tuple[datetime, str]] = []
    for offset in sorted(minutes):
        now = since + timedelta(minutes=offset)
        notice = terms.waiting_notice(since, told, now, every)
        if notice is not None:
            sent.append((now, notice))
            told = now
    assert [kind for _, kind in sent][:1] == ["why"]
    assert [kind for _, kind in sent].count("why") == 1
    for (earlier, _), (later, kind) in itertools.pairwise(sent):
        assert kind == "not_forgotten"
        assert later - earlier >= timedelta(days=every)
        assert later - since >= timedelta(days=every)


def test_waiting_again_after_a_pairing_starts_over() -> None:
    first = datetime(2026, 1, 1, tzinfo=UTC)
    again = datetime(2026, 6, 1, tzinfo=UTC)
    assert terms.waiting_notice(again, first, again + timedelta(hours=1), 14) == "why"


@settings(max_examples=300, deadline=None)
@given(
    AT,
    st.integers(1, 24),
    st.sampled_from(["Europe/Copenhagen", "Europe/Oslo", "UTC"]),
    st.sampled_from(["10:00", "02:30", "00:00", "23:59"]),
)
def test_a_term_ends_on_the_same_day_months_later_at_the_round_time(
    start: datetime, months: int, zone: str, at: str
) -> None:
    end = terms.term_end(start, months, zone, at)
    here, there = start.astimezone(ZoneInfo(zone)), end.astimezone(ZoneInfo(zone))
    assert (there.year * 12 + there.month) - (here.year * 12 + here.month) == months
    assert there.day <= here.day  # the same day, or a shorter month's last day
    assert there.day == here.day or there.day == calendar.monthrange(there.year, there.month)[1]
    hour, minute = (int(x) for x in at.split(":"))
    # The round's wall time, or an hour later inside the spring-forward gap.
    shifted = there.hour * 60 + there.minute - (hour * 60 + minute)
    assert shifted == 0 or (shifted == 60 and hour == 2 and zone != "UTC")
    assert end > start


def test_a_term_across_the_spring_change_keeps_ten_oclock() -> None:
    start = datetime(2026, 11, 23, 21, 40, tzinfo=UTC)  # accepted late in the evening
    end = terms.term_end(start, 6, "Europe/Copenhagen", "10:00")
    assert end == datetime(2027, 5, 23, 8, 0, tzinfo=UTC)  # 10:00 in summer time
    oslo = terms.term_end(datetime(2026, 11, 28, 9, 0, tzinfo=UTC), 4, "Europe/Oslo", "02:30")
    assert oslo == datetime(2027, 3, 28, 1, 30, tzinfo=UTC)  # 02:30 does not exist: 03:30
    assert terms.add_months(date(2027, 1, 31), 1) == date(2027, 2, 28)


@given(st.sampled_from(["yes", "no", None]), st.sampled_from(["yes", "no", None]))
def test_only_two_yeses_extend(first: str | None, second: str | None) -> None:
    outcome = terms.extension_outcome(first, second)
    assert (outcome == "extend") == (first == second == "yes")
    assert (outcome == "end") == ("no" in (first, second))
    assert outcome == terms.extension_outcome(second, first)


@given(AT, st.integers(0, 200), st.integers(1, 60))
def test_the_extension_question_comes_once_within_the_notice(
    ends: datetime, days_before: int, notice: int
) -> None:
    now = ends - timedelta(days=days_before)
    assert terms.extension_due(ends, None, now, notice) == (days_before <= notice)
    assert not terms.extension_due(ends, now, now, notice)
    assert not terms.extension_due(None, None, now, notice)


@given(st.dates(min_value=date(2025, 1, 1), max_value=date(2030, 1, 1)), st.integers(-400, 400))
def test_a_pause_date_is_in_the_future_or_a_kind_correction(today: date, offset: int) -> None:
    wanted = today + timedelta(days=offset)
    try:
        found = terms.parse_pause_date(wanted.isoformat(), today)
    except terms.PastDate as past:
        assert offset <= 0
        meant = date.fromisoformat(str(past.values["meant"]))
        assert meant > today
        assert (meant.month, meant.day) == (wanted.month, wanted.day) or wanted.day == 29
    else:
        assert offset > 0
        assert found == wanted
    # Day and month without a year always mean the next such day.
    if (wanted.month, wanted.day) != (2, 29):
        short = terms.parse_pause_date(f"{wanted.day}/{wanted.month}", today)
        assert today < short <= today + timedelta(days=366)


@pytest.mark.parametrize("text", ["soon", "31/2", "2027-13-01", ""])
def test_a_pause_date_that_is_not_a_date_is_refused(text: str) -> None:
    with pytest.raises(terms.ArgumentError) as raised:
        terms.parse_pause_date(text, date(2026, 11, 23))
    assert raised.value.key == "buddy.error.pause_date"


def test_longest_waiting_first() -> None:
    now = datetime(2026, 12, 1, tzinfo=UTC)
    waits = {1: now - timedelta(days=3), 2: now - timedelta(days=40), 3: now}
    assert [pid for pid, _ in terms.longest_waiting(waits, now, 2)] == [2, 1]
