"""The texts and prompts of shared meals, each in the reader's language.

Nothing here queries or writes: callers pass what was loaded and enqueue what comes back.
"""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from babel.dates import format_datetime

from bot.core.context import Services
from bot.core.events import ChoicePrompt, Option, Outgoing, Room, invoke
from bot.core.i18n import BABEL_LOCALES, format_local
from bot.meals.load import Recipient
from bot.meals.models import Meal, MealOccurrence


def when(moment: datetime, zone: str, lang: str, now: datetime, pattern: str = "full") -> str:
    """A start in the reader's zone and language, with the weekday, and with the year
    when it is not this year ("torsdag 2. december 2027 kl. 18:00")."""
    local = moment.astimezone(ZoneInfo(zone))
    if local.year == now.astimezone(ZoneInfo(zone)).year:
        return format_local(moment, zone, lang, pattern)
    locale = BABEL_LOCALES.get(lang, "en_GB")
    if pattern == "date":
        return format_datetime(
            local, "EEE d MMM y" if lang == "en" else "EEE d. MMM y", locale=locale
        )
    if lang == "en":
        return f"{format_datetime(local, 'EEEE d MMMM y', locale=locale)} at {local:%H:%M}"
    return f"{format_datetime(local, 'EEEE d. MMMM y', locale=locale)} kl. {local:%H:%M}"


def day_text(day: date, zone: str, lang: str) -> str:
    """A local date alone, with the weekday and the year: "mandag 1. november 2027"."""
    local = datetime.combine(day, time(12), tzinfo=ZoneInfo(zone))
    locale = BABEL_LOCALES.get(lang, "en_GB")
    return format_datetime(
        local, "EEEE d MMMM y" if lang == "en" else "EEEE d. MMMM y", locale=locale
    )


def when_text(services: Services, meal: Meal, occurrence: MealOccurrence, rec: Recipient) -> str:
    return when(occurrence.starts_at, rec.zone, rec.lang, services.clock.now())


def text_for(services: Services, lang: str, key: str, **values: object) -> str:
    values.setdefault("community", services.config.community.name)
    values.setdefault("prefix", services.prefix(str(values.pop("platform", ""))))
    return services.translator.text(lang, key, **values)


def join_or_leave(
    services: Services, lang: str, meal: Meal, day: str, join_key: str, leave_key: str
) -> tuple[Option, Option]:
    """Two buttons for one date of a meal: take a seat, or step back."""
    return (
        Option(text_for(services, lang, join_key), invoke("meal join", meal.code, day)),
        Option(text_for(services, lang, leave_key), invoke("meal leave", meal.code, day)),
    )


def announcement_options(services: Services, lang: str, code: str) -> list[Option]:
    """Join, maybe and leave buttons for a meal announcement."""
    return [
        Option(text_for(services, lang, "meal.button_join"), invoke("meal join", code)),
        Option(text_for(services, lang, "meal.button_maybe"), invoke("meal maybe", code)),
        Option(text_for(services, lang, "meal.button_leave"), invoke("meal leave", code)),
    ]


def announcement(services: Services, lang: str, room: Room, text: str, code: str) -> Outgoing:
    return ChoicePrompt(room, text, tuple(announcement_options(services, lang, code)))


def repeat_key(every_weeks: int) -> str:
    """The catalog key that says how often a meal repeats."""
    if every_weeks == 0:
        return "meal.repeat_once"
    return "meal.repeat_weekly" if every_weeks == 1 else "meal.repeat_weeks"


def room_announcement(
    services: Services, lang: str, zone: str, room: Room, meal: Meal, first: MealOccurrence
) -> Outgoing:
    """A new meal announced in a room, with join and leave buttons."""
    text = text_for(
        services,
        lang,
        "meal.announcement",
        platform=room.platform,
        title=meal.title,
        code=meal.code,
        when=when(first.starts_at, zone, lang, services.clock.now()),
        repeat=services.translator.text(lang, repeat_key(meal.every_weeks), weeks=meal.every_weeks),
        seats=services.translator.plural(lang, "meal.seats", meal.capacity),
    )
    return announcement(services, lang, room, text, meal.code)


def notice(
    services: Services,
    rec: Recipient,
    meal: Meal,
    occurrence: MealOccurrence,
    key: str,
    **extra: object,
) -> str:
    """A private notice ``key`` about one date of a meal (moved up, cancelled, changed…)."""
    return text_for(
        services,
        rec.lang,
        key,
        platform=rec.to.platform,
        title=meal.title,
        code=meal.code,
        when=when_text(services, meal, occurrence, rec),
        **extra,
    )


def reminder(
    services: Services,
    rec: Recipient,
    meal: Meal,
    *,
    when: str,
    table: int,
    links: dict[int, str],
    hosts: dict[int, int | None],
    host_names: dict[int, str],
) -> str:
    """A reminder with the link of the person's table, and who hosts it when there are several."""
    link = links.get(table, "")
    values: dict[str, object] = {
        "platform": rec.to.platform,
        "title": meal.title,
        "code": meal.code,
        "when": when,
        "link": link or text_for(services, rec.lang, "meal.link_follows"),
    }
    text = text_for(services, rec.lang, "meal.reminder", **values)
    if len(links) > 1:
        host = hosts.get(table)
        text += "\n" + text_for(
            services, rec.lang, "meal.reminder_table", table=table, tables=len(links)
        )
        if host is not None and host != rec.person_id:
            text += " " + text_for(services, rec.lang, "meal.reminder_host", host=host_names[host])
        elif host == rec.person_id:
            text += " " + text_for(services, rec.lang, "meal.reminder_you_host")
    return text


def table_links(services: Services, lang: str, links: dict[int, str]) -> str:
    """The link to meet at, or one line per table when there are several."""
    if len(links) > 1:
        return "\n".join(
            text_for(services, lang, "meal.table_link", table=n, link=url or "…")
            for n, url in sorted(links.items())
        )
    return links.get(1) or text_for(services, lang, "meal.link_follows")


def begins(
    services: Services,
    lang: str,
    zone: str,
    room: Room,
    meal: Meal,
    occurrence: MealOccurrence,
    *,
    links: str,
    taken: int,
) -> ChoicePrompt:
    """'The meal begins now' in a room, with a button to say you are there."""
    text = text_for(
        services,
        lang,
        "meal.begins",
        platform=room.platform,
        title=meal.title,
        code=meal.code,
        when=format_local(occurrence.starts_at, zone, lang),
        links=links,
        joined=services.translator.plural(lang, "meal.people_joined", taken),
    )
    return ChoicePrompt(
        room,
        text,
        (
            Option(
                text_for(services, lang, "meal.button_here"),
                invoke("meal here", meal.code),
            ),
        ),
    )


def feedback_prompt(services: Services, rec: Recipient, meal: Meal) -> ChoicePrompt:
    """How was the meal? with a button for each rating from 1 to 5."""
    text = text_for(
        services,
        rec.lang,
        "meal.feedback_prompt",
        platform=rec.to.platform,
        title=meal.title,
        code=meal.code,
    )
    options = tuple(
        Option(
            text_for(services, rec.lang, f"meal.rating_{n}"),
            invoke("meal feedback", meal.code, str(n)),
        )
        for n in range(1, 6)
    )
    return ChoicePrompt(rec.to, text, options)


def missed_you(
    services: Services, rec: Recipient, meal: Meal, following: MealOccurrence | None
) -> str:
    """A kind word for someone who had a seat and did not come, with the next date if any."""
    if following is not None:
        closing = text_for(
            services,
            rec.lang,
            "meal.missed_next",
            when=when_text(services, meal, following, rec),
        )
    else:
        closing = text_for(services, rec.lang, "meal.missed_any", platform=rec.to.platform)
    return text_for(services, rec.lang, "meal.missed_you", title=meal.title, next=closing)
