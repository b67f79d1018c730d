"""The pure buddy decisions: sides of a pair, answers, proposal texts, warm words, round times."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.buddies.models import ACTIVE, PROPOSED, BuddyPair, BuddyProfile
from bot.buddies.rules import (
    FOLLOWUP_ANSWERS,
    ICEBREAKERS,
    RoundSummary,
    answer_of,
    awaiting_answer,
    icebreaker_number,
    local_instant,
    next_match_time,
    other_side,
    pair_key,
    proposal_text,
    report_key,
    shared_between,
    silent_twice,
    todays_round,
)
from bot.core.i18n import load_catalogs

CPH = "Europe/Copenhagen"
OSLO = "Europe/Oslo"


def _pair(
    participant_answer: str | None = None,
    partner_answer: str | None = None,
    status: str = PROPOSED,
) -> BuddyPair:
    return BuddyPair(
        id=7,
        participant_id=11,
        partner_id=22,
        kind="volunteer",
        status=status,
        participant_answer=participant_answer,
        partner_answer=partner_answer,
    )


# ---------------------------------------------------------------- pairs


def test_each_side_sees_the_other() -> None:
    pair = _pair()
    assert other_side(pair, 11) == 22
    assert other_side(pair, 22) == 11


def test_each_side_has_its_own_answer() -> None:
    pair = _pair(participant_answer="yes", partner_answer="no")
    assert answer_of(pair, 11) == "yes"
    assert answer_of(pair, 22) == "no"


def test_only_an_unanswered_open_proposal_awaits_an_answer() -> None:
    half = _pair(participant_answer="yes")
    assert not awaiting_answer(half, 11)  # already said yes
    assert awaiting_answer(half, 22)  # still to answer
    assert awaiting_answer(_pair(), 11)
    assert awaiting_answer(_pair(), 22)
    # Once the pair is active (or ended), nobody is asked again.
    active = _pair(status=ACTIVE)
    assert not awaiting_answer(active, 11)
    assert not awaiting_answer(active, 22)


def test_a_pair_stores_what_both_profiles_share_in_the_first_ones_order() -> None:
    a = BuddyProfile(
        person_id=1,
        languages=["da", "en", "ar"],
        times=["weekday-evening", "weekend-morning"],
        contact=["video", "text"],
        interests=["walks", "chess", "films"],
    )
    b = BuddyProfile(
        person_id=2,
        languages=["ar", "da"],
        times=["weekend-morning"],
        contact=["voice"],
        interests=["films", "walks"],
    )
    assert shared_between(a, b) == {
        "languages": ["da", "ar"],
        "times": ["weekend-morning"],
        "contact": [],
        "interests": ["walks", "films"],
    }


@pytest.mark.parametrize(
    ("kind", "role", "key"),
    [
        # Someone waiting hears a volunteer was found; the volunteer hears someone waits.
        ("volunteer", "participant", "buddy.proposal.volunteer"),
        ("volunteer", "volunteer", "buddy.proposal.participant"),
        # Two peers both hear about someone else looking.
        ("peer", "participant", "buddy.proposal.peer"),
        ("peer", "volunteer", "buddy.proposal.peer"),
    ],
)
def test_each_side_of_a_proposal_reads_its_own_text(kind: str, role: str, key: str) -> None:
    assert proposal_text(kind, role) == key
    for lang, catalog in load_catalogs().items():
        assert catalog.get(key), f"{key} missing in {lang}"


def test_icebreakers_cycle_through_every_question() -> None:
    numbers = [icebreaker_number(pair_id) for pair_id in range(1, 2 * ICEBREAKERS + 1)]
    assert sorted(set(numbers)) == list(range(1, ICEBREAKERS + 1))
    # Neighbouring pairs get different questions.
    assert all(a != b for a, b in itertools.pairwise(numbers))
    catalogs = load_catalogs()
    for number in set(numbers):
        for lang, catalog in catalogs.items():
            assert catalog.get(f"buddy.icebreaker.{number}"), f"icebreaker {number} in {lang}"


@given(st.integers(min_value=1, max_value=10**9))
def test_every_pair_gets_an_icebreaker_that_exists(pair_id: int) -> None:
    assert 1 <= icebreaker_number(pair_id) <= ICEBREAKERS
    assert icebreaker_number(pair_id + ICEBREAKERS) == icebreaker_number(pair_id)


def test_two_unanswered_followups_earn_a_warm_word() -> None:
    assert silent_twice([None, None])
    assert not silent_twice([None])  # one quiet week is not yet a pattern
    assert not silent_twice([])
    assert not silent_twice(["good", None])
    assert not silent_twice([None, "okay"])
    assert not silent_twice([None, None, None])  # only after exactly two, not every week after


def test_followup_answers_have_buttons_in_every_language() -> None:
    assert FOLLOWUP_ANSWERS == ("good", "okay", "not_working")
    for lang, catalog in load_catalogs().items():
        for answer in FOLLOWUP_ANSWERS:
            assert catalog.get(f"buddy.feedback.{answer}"), f"{answer} in {lang}"


def test_erasure_keys_name_the_pair_or_report_and_do_not_overlap() -> None:
    assert pair_key(3) == "buddy:pair:3:"
    assert report_key(3) == "buddy:report:3:"
    # Pair 1's prefix must not also find pair 12's messages.
    assert not pair_key(12).startswith(pair_key(1))


def test_a_round_summary_starts_empty() -> None:
    summary = RoundSummary()
    assert (summary.proposed, summary.waiting, summary.reasons) == (0, 0, {})
    RoundSummary().reasons[("no_volunteer_language", "ar")] = 1
    assert RoundSummary().reasons == {}


# ---------------------------------------------------------------- rounds


def test_todays_round_is_on_the_local_date() -> None:
    # 23:30 UTC on 28 November is already 29 November in Copenhagen.
    today, due = todays_round(datetime(2026, 11, 28, 23, 30, tzinfo=UTC), "10:15", CPH)
    assert today == date(2026, 11, 29)
    assert due == datetime(2026, 11, 29, 9, 15, tzinfo=UTC)
    # Summer time: 10:15 local is 08:15 UTC.
    today, due = todays_round(datetime(2026, 7, 1, 5, 0, tzinfo=UTC), "10:15", OSLO)
    assert today == date(2026, 7, 1)
    assert due == datetime(2026, 7, 1, 8, 15, tzinfo=UTC)


def test_local_instant_is_utc_and_moves_a_missing_time_forward() -> None:
    cph = ZoneInfo(CPH)
    due = local_instant(date(2026, 1, 5), 7, 45, cph)
    assert due == datetime(2026, 1, 5, 6, 45, tzinfo=UTC)
    assert due.utcoffset() == timedelta(0)
    # 02:30 does not exist on 29 March: it runs at 03:30 summer time.
    assert local_instant(date(2026, 3, 29), 2, 30, cph) == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)


def test_next_match_time_is_strictly_later() -> None:
    # Exactly at the round's time: the next one is tomorrow's.
    at = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    assert next_match_time(at, "10:00", CPH) == datetime(2026, 1, 6, 9, 0, tzinfo=UTC)
    # Just before midnight local, the round is early tomorrow.
    late = datetime(2026, 1, 5, 22, 59, tzinfo=UTC)
    assert next_match_time(late, "00:30", CPH) == datetime(2026, 1, 5, 23, 30, tzinfo=UTC)


@given(
    st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2028, 12, 31)),
    st.sampled_from([CPH, OSLO, "UTC", "America/New_York", "Pacific/Auckland"]),
    st.integers(0, 23),
    st.integers(0, 59),
)
def test_next_match_time_is_the_next_local_round(
    naive: datetime, zone: str, hour: int, minute: int
) -> None:
    now = naive.replace(tzinfo=UTC)
    due = next_match_time(now, f"{hour:02d}:{minute:02d}", zone)
    assert now < due <= now + timedelta(days=1, hours=2)
    assert due.utcoffset() == timedelta(0)
    local = due.astimezone(ZoneInfo(zone))
    # On the asked wall time, or moved forward by a spring-forward gap.
    assert (local.hour, local.minute) == (hour, minute) or local.dst()
    # Nothing earlier qualifies: the same time a day before is not after ``now``.
    today, today_due = todays_round(now, f"{hour:02d}:{minute:02d}", zone)
    assert due == today_due or (today_due <= now and local.date() > today)


@pytest.mark.usefixtures("host_in_kiritimati")
def test_the_servers_own_zone_does_not_move_the_round() -> None:
    # 13:00 on 5 January in Copenhagen is already 6 January on the server (UTC+14).
    now = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)
    due = next_match_time(now, "14:00", CPH)
    assert due == datetime(2026, 1, 5, 13, 0, tzinfo=UTC)
    assert due.utcoffset() == timedelta(0)
    today, due = todays_round(now, "14:00", CPH)
    assert today == date(2026, 1, 5)
    assert due.utcoffset() == timedelta(0)
    assert local_instant(date(2026, 1, 5), 14, 0, ZoneInfo(CPH)).utcoffset() == timedelta(0)
