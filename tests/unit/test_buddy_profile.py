"""Reading buddy profiles typed in Danish, Norwegian and English."""

from __future__ import annotations

import pytest

from bot.buddies.profile import (
    ProfileError,
    language_code,
    language_name,
    parse_arguments,
    parse_contact,
    parse_interests,
    parse_kind,
    parse_languages,
    parse_times,
)


@pytest.mark.parametrize(
    ("typed", "codes"),
    [
        ("dansk, engelsk", ("da", "en")),
        ("norsk arabisk", ("no", "ar")),
        ("Arabic/English", ("ar", "en")),
        ("nb", ("no",)),
        ("ukrainsk og farsi", ("uk", "fa")),
    ],
)
def test_languages_by_code_or_name(typed: str, codes: tuple[str, ...]) -> None:
    assert parse_languages(typed) == codes


def test_unknown_language_is_an_error() -> None:
    with pytest.raises(ProfileError) as error:
        parse_languages("blabla")
    assert error.value.key == "buddy.error.language"
    assert language_code("tysk") == "de"
    assert language_name("ar", "da") == "arabisk"
    assert language_name("ar", "en") == "Arabic"


def test_times_in_three_languages() -> None:
    assert parse_times("weekday-evenings") == ("weekday-evening",)
    assert parse_times("hverdage aften, weekend formiddag") == (
        "weekday-evening",
        "weekend-morning",
    )
    assert parse_times("helg") == ("weekend-morning", "weekend-afternoon", "weekend-evening")
    assert len(parse_times("når som helst alle")) == 6
    with pytest.raises(ProfileError):
        parse_times("lunchtime")


def test_contact_kind_and_interests() -> None:
    assert parse_contact("video, tekst") == ("text", "video")
    assert parse_contact("alle") == ("text", "voice", "video")
    assert parse_kind("frivillig") == "volunteer"
    assert parse_kind("likemann") == "peer"
    assert parse_kind("lige meget") == "any"
    assert parse_interests("Cooking, long walks, #Films") == ("cooking", "long-walks", "films")
    assert parse_interests("-") == ()
    with pytest.raises(ProfileError):
        parse_contact("pigeon")


def test_key_values_at_once() -> None:
    parsed = parse_arguments(
        'capacity 2 sprog=da,en times=weekend kind=peer about="I like tea and cake"', 3
    )
    assert parsed.capacity == 2
    assert parsed.profile.languages == ("da", "en")
    assert parsed.profile.kind == "peer"
    assert parsed.profile.about == "I like tea and cake"
    assert parsed.profile.missing(volunteer=False, optional=False) == ["contact"]
    with pytest.raises(ProfileError):
        parse_arguments("capacity 9", 3)
    with pytest.raises(ProfileError):
        parse_arguments("colour=blue", 3)
    with pytest.raises(ProfileError):
        parse_arguments("just words", 3)
