"""Quiet hours: which local times are quiet, when they end (across midnight and the
daylight-saving changes of Copenhagen and Oslo), and what is held or dropped."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.quiet import (
    OFF,
    BadQuietHours,
    QuietHours,
    parse_quiet_hours,
    quiet_ends,
    send_time,
    stored_quiet_hours,
)

CPH = ZoneInfo("Europe/Copenhagen")
OSLO = ZoneInfo("Europe/Oslo")
NIGHT = QuietHours(time(22), time(8))

zones = st.sampled_from([CPH, OSLO, ZoneInfo("UTC"), ZoneInfo("America/New_York")])
clock_times = st.builds(time, st.integers(0, 23), st.sampled_from([0, 15, 30, 45]))
quiet_hours = st.builds(QuietHours, clock_times, clock_times).filter(lambda q: q.start != q.end)
# Moments around the 2026 and 2027 DST changes as well as ordinary days.
moments = st.datetimes(
    min_value=datetime(2026, 3, 1), max_value=datetime(2027, 11, 30), timezones=st.just(UTC)
)


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("22:00-08:00", time(22), time(8)),
        ("23-7", time(23), time(7)),
        ("23.30–07.15", time(23, 30), time(7, 15)),
        ("13:00 til 14:00", time(13), time(14)),
    ],
)
def test_quiet_hours_are_read_as_typed(text: str, start: time, end: time) -> None:
    assert parse_quiet_hours(text) == QuietHours(start, end)


@pytest.mark.parametrize("text", ["", "22", "tonight", "25:00-08:00", "22:00-22:00", "8-"])
def test_what_is_not_a_span_is_refused(text: str) -> None:
    with pytest.raises(BadQuietHours):
        parse_quiet_hours(text)


def test_stored_values_mean_the_community_own_or_none() -> None:
    assert stored_quiet_hours(None, NIGHT) == NIGHT
    assert stored_quiet_hours(OFF, NIGHT) is None
    assert stored_quiet_hours("23:00-07:00", NIGHT) == QuietHours(time(23), time(7))


def test_across_midnight() -> None:
    assert NIGHT.covers(time(23, 59))
    assert NIGHT.covers(time(0))
    assert NIGHT.covers(time(7, 59))
    assert not NIGHT.covers(time(8))
    assert not NIGHT.covers(time(21, 59))
    assert NIGHT.covers(time(22))


def test_a_reminder_at_2300_waits_until_0800_next_morning_in_copenhagen() -> None:
    at = datetime(2026, 11, 23, 22, 0, tzinfo=UTC)  # 23:00 in Copenhagen (winter)
    assert quiet_ends(at, CPH, NIGHT) == datetime(2026, 11, 24, 7, 0, tzinfo=UTC)


def test_the_night_clocks_go_forward_quiet_ends_at_0800_summer_time() -> None:
    # 28-29 March 2026: at 02:00 the clocks go to 03:00 in Copenhagen and Oslo.
    at = datetime(2026, 3, 28, 22, 0, tzinfo=UTC)  # 23:00 winter time
    for zone in (CPH, OSLO):
        assert quiet_ends(at, zone, NIGHT) == datetime(2026, 3, 29, 6, 0, tzinfo=UTC)


def test_the_night_clocks_go_back_quiet_ends_at_0800_winter_time() -> None:
    at = datetime(2026, 10, 24, 21, 0, tzinfo=UTC)  # 23:00 summer time
    for zone in (CPH, OSLO):
        assert quiet_ends(at, zone, NIGHT) == datetime(2026, 10, 25, 7, 0, tzinfo=UTC)


def test_quiet_hours_ending_in_the_skipped_hour_end_when_it_is_over() -> None:
    quiet = QuietHours(time(23), time(2, 30))  # 02:30 never happens on 29 March 2026
    at = datetime(2026, 3, 29, 0, 30, tzinfo=UTC)  # 01:30 winter time
    ends = quiet_ends(at, CPH, quiet)
    assert ends == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)  # 03:30 summer time
    assert not quiet.covers(ends.astimezone(CPH).time())


def test_quiet_hours_ending_in_the_repeated_hour_end_after_its_second_pass() -> None:
    # On 25 October 2026 the clocks go back at 03:00: 02:00-03:00 happens twice.
    quiet = QuietHours(time(23), time(2, 30))
    for zone in (CPH, OSLO):
        first_pass = datetime(2026, 10, 25, 0, 15, tzinfo=UTC)  # 02:15 summer time
        second_pass = datetime(2026, 10, 25, 1, 15, tzinfo=UTC)  # 02:15 winter time
        end = datetime(2026, 10, 25, 1, 30, tzinfo=UTC)  # 02:30 winter time, the last one
        assert quiet_ends(first_pass, zone, quiet) == end
        assert quiet_ends(second_pass, zone, quiet) == end  # not sent at 02:15 in the night
        assert send_time(second_pass, zone, quiet, None) == end


def test_a_message_that_would_be_out_of_date_is_dropped() -> None:
    at = datetime(2026, 11, 24, 6, 15, tzinfo=UTC)  # 07:15 Copenhagen
    starts = datetime(2026, 11, 24, 6, 30, tzinfo=UTC)  # a meal at 07:30
    assert send_time(at, CPH, NIGHT, starts) is None
    later = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
    assert send_time(at, CPH, NIGHT, later) == datetime(2026, 11, 24, 7, 0, tzinfo=UTC)
    day = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
    assert send_time(day, CPH, NIGHT, day + timedelta(minutes=1)) == day
    assert send_time(at, CPH, None, starts) == at


@settings(max_examples=300, deadline=None)
@given(moment=moments, zone=zones, quiet=quiet_hours)
def test_quiet_ends_is_the_first_moment_outside_them(
    moment: datetime, zone: ZoneInfo, quiet: QuietHours
) -> None:
    ends = quiet_ends(moment, zone, quiet)
    assert ends >= moment
    assert ends - moment <= timedelta(hours=25)  # at most a day and a DST hour
    assert not quiet.covers(ends.astimezone(zone).time())
    if ends > moment:  # everything before it was quiet, minute by minute
        assert quiet.covers(moment.astimezone(zone).time())
        step = moment
        while step < ends - timedelta(minutes=1):
            step = min(step + timedelta(minutes=13), ends - timedelta(minutes=1))
            assert quiet.covers(step.astimezone(zone).time()), step


@settings(max_examples=200, deadline=None)
@given(
    moment=moments,
    zone=zones,
    quiet=st.one_of(st.none(), quiet_hours),
    expires_in=st.one_of(st.none(), st.integers(1, 48 * 60)),
)
def test_a_held_message_is_never_sent_late_or_in_quiet_hours(
    moment: datetime, zone: ZoneInfo, quiet: QuietHours | None, expires_in: int | None
) -> None:
    expires = None if expires_in is None else moment + timedelta(minutes=expires_in)
    when = send_time(moment, zone, quiet, expires)
    if when is None:
        assert expires is not None
        assert quiet_ends(moment, zone, quiet) >= expires
        return
    assert when >= moment
    assert quiet is None or not quiet.covers(when.astimezone(zone).time())
    assert when == moment or expires is None or when < expires


def test_midnight_may_be_typed_as_24_and_hours_past_it_are_refused() -> None:
    assert parse_quiet_hours(" 22 TIL 24 ") == QuietHours(time(22), time(0))
    assert parse_quiet_hours("24-6") == QuietHours(time(0), time(6))
    for text in ("22-25", "25-6", "0-24", "22:00-08:60"):
        with pytest.raises(BadQuietHours):
            parse_quiet_hours(text)


@given(quiet=quiet_hours)
def test_quiet_hours_are_shown_as_they_are_read(quiet: QuietHours) -> None:
    shown = str(quiet)
    assert shown == f"{quiet.start.hour:02}:{quiet.start.minute:02}-{quiet.end:%H:%M}"
    assert parse_quiet_hours(shown) == quiet


def test_quiet_hours_that_start_when_they_end_cover_nothing() -> None:
    same = QuietHours(time(22), time(22))
    assert not any(same.covers(time(hour, minute)) for hour in range(24) for minute in (0, 30))


def test_quiet_hours_within_one_day() -> None:
    noon = QuietHours(time(13), time(14))
    assert noon.covers(time(13))
    assert noon.covers(time(13, 59, 59))
    assert not noon.covers(time(14))
    assert not noon.covers(time(12, 59, 59))
    assert NIGHT.covers(time(7, 59, 59, 999999))
    assert not NIGHT.covers(time(21, 59, 59))


def test_a_stored_value_that_cannot_be_read_means_the_community_s() -> None:
    assert stored_quiet_hours("", NIGHT) == NIGHT
    assert stored_quiet_hours("whenever", NIGHT) == NIGHT
    assert stored_quiet_hours("whenever", None) is None
    assert stored_quiet_hours(OFF, None) is None


def test_a_message_due_exactly_when_quiet_hours_begin_waits_for_morning() -> None:
    at = datetime(2026, 11, 23, 21, 0, tzinfo=UTC)  # 22:00 in Copenhagen
    assert quiet_ends(at, CPH, NIGHT) == datetime(2026, 11, 24, 7, 0, tzinfo=UTC)
    morning = datetime(2026, 11, 24, 7, 0, tzinfo=UTC)  # 08:00: quiet hours are over
    assert quiet_ends(morning, CPH, NIGHT) == morning
    early = datetime(2026, 11, 24, 5, 0, tzinfo=UTC)  # 06:00, after midnight: same morning
    assert quiet_ends(early, CPH, NIGHT) == morning


def test_quiet_hours_never_drop_what_they_do_not_hold() -> None:
    day = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)  # 13:00 in Copenhagen, not quiet
    assert send_time(day, CPH, NIGHT, day) == day
    assert send_time(day, CPH, NIGHT, day - timedelta(hours=1)) == day
    # Held until 08:00 and out of date exactly then: dropped.
    at = datetime(2026, 11, 24, 6, 15, tzinfo=UTC)  # 07:15 Copenhagen
    ends = datetime(2026, 11, 24, 7, 0, tzinfo=UTC)
    assert send_time(at, CPH, NIGHT, ends) is None
    assert send_time(at, CPH, NIGHT, ends + timedelta(seconds=1)) == ends


@pytest.mark.usefixtures("host_in_kiritimati")
def test_the_server_s_own_zone_changes_nothing_about_quiet_hours() -> None:
    at = datetime(2026, 11, 23, 22, 0, tzinfo=UTC)  # 23:00 in Copenhagen
    ends = quiet_ends(at, CPH, NIGHT)
    assert ends == datetime(2026, 11, 24, 7, 0, tzinfo=UTC)
    assert ends.utcoffset() == timedelta(0)


def test_a_wall_time_with_its_zone_attached_is_read_as_the_wall_time() -> None:
    assert NIGHT.covers(time(23, tzinfo=UTC))
    assert not NIGHT.covers(time(12, tzinfo=CPH))


@pytest.mark.parametrize("text", ["", "tonight", "25:00-08:00", "22:00-08:60"])
def test_a_refusal_names_what_was_typed(text: str) -> None:
    with pytest.raises(BadQuietHours) as caught:
        parse_quiet_hours(text)
    assert str(caught.value) == text
