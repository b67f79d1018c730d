"""The buddy questionnaire: asking for a profile one question at a time, changing one
field of it, and choosing which pair a command is about."""

from __future__ import annotations

from typing import Any

from bot.buddies import load, pool, rules
from bot.buddies.models import ACTIVE, BuddyPair, BuddyProfile
from bot.buddies.profile import (
    COMMON_LANGUAGES,
    FIELDS,
    PARSERS,
    Profile,
    ProfileError,
    language_name,
    parse_arguments,
    skipped,
)
from bot.buddies.render import describe
from bot.buddies.scoring import AGE_BANDS, CONTACT_MODES, GENDERS, KINDS, TIME_SLOTS, UNSAID
from bot.core.context import Context, JobContext
from bot.core.events import Invoke, invoke
from bot.core.parsing import ArgumentError
from bot.core.signals import ProgrammeJoined, announce
from bot.core.steps import Finish, Next, Outcome, Retry, Step, StepDialog
from bot.people.service import display_name, set_consent

PROFILE_DIALOG = "buddy_profile"


def job_of(ctx: Context) -> JobContext:
    return JobContext(ctx.services, ctx.session, ctx.now)


def error_text(error: ProfileError, ctx: Context) -> str:
    values = dict(error.values)
    return ctx.t(error.key, **values, **accepted(ctx))


def accepted(ctx: Context) -> dict[str, str]:
    return {
        "languages": ", ".join(language_name(c, ctx.lang) for c in COMMON_LANGUAGES),
        "times": ", ".join(TIME_SLOTS),
        "contacts": ", ".join(CONTACT_MODES),
        "kinds": " | ".join(KINDS),
        "bands": ", ".join(AGE_BANDS),
    }


KEEP = "="  # the value of "keep what you answered before"
CHANGEABLE = (*FIELDS, "capacity")


def stored(row: BuddyProfile) -> dict[str, Any]:
    """A stored profile as dialog data (the answers as they are now)."""
    return {
        "languages": list(row.languages or []),
        "interests": list(row.interests or []),
        "contact": list(row.contact or []),
        "times": list(row.times or []),
        "kind": row.kind or "",
        "about": row.about or "",
        "gender": row.gender or "",
        "age": row.age or "",
        "wish_gender": list(row.wish_gender or []),
        "wish_age": list(row.wish_age or []),
    }


def current_text(ctx: Context, step: str, current: dict[str, Any]) -> str:
    """An earlier answer as words, for the "keep" choice."""
    value = current.get(step)
    if not value:
        return ""
    if step == "languages":
        return ", ".join(language_name(code, ctx.lang) for code in value)
    if step == "contact":
        return ", ".join(ctx.t(f"buddy.contact.{mode}") for mode in value)
    if step == "times":
        return ", ".join(ctx.t(f"buddy.time.{slot}") for slot in value)
    if step == "kind":
        return ctx.t(f"buddy.kind.{value}")
    if step == "gender":
        return ctx.t(f"buddy.gender.{value}")
    if step == "wish_gender":
        return ", ".join(ctx.t(f"buddy.wish.{gender}") for gender in value)
    text = ", ".join(value) if isinstance(value, list) else str(value)
    return text if len(text) <= 40 else text[:39] + "…"


def ask(ctx: Context, step: str, current: dict[str, Any] | None = None) -> None:
    """One question of the profile dialog, with choices where there are few answers; an
    earlier answer is offered first, to keep as it is."""
    skip = (ctx.t("buddy.choice.skip"), "-")
    options: dict[str, list[tuple[str, str]]] = {
        "languages": [(language_name(c, ctx.lang), c) for c in ("da", "no", "en", "ar", "uk")],
        "interests": [skip],
        "contact": [(ctx.t(f"buddy.contact.{m}"), m) for m in CONTACT_MODES]
        + [(ctx.t("buddy.choice.all"), "all")],
        "times": [
            (ctx.t("buddy.choice.weekday_evenings"), "weekday-evening"),
            (ctx.t("buddy.choice.weekday_days"), "weekday-morning,weekday-afternoon"),
            (ctx.t("buddy.choice.weekends"), "weekend"),
            (ctx.t("buddy.choice.anytime"), "all"),
        ],
        "kind": [(ctx.t(f"buddy.kind.{k}"), k) for k in KINDS],
        "gender": [(ctx.t(f"buddy.gender.{g}"), g) for g in (*GENDERS, UNSAID)] + [skip],
        "age": [(band, band) for band in AGE_BANDS] + [skip],
        "wish_gender": [(ctx.t("buddy.wish.any"), "any")]
        + [(ctx.t(f"buddy.wish.{g}"), g) for g in GENDERS],
        "wish_age": [(ctx.t("buddy.wish.any"), "any")] + [(band, band) for band in AGE_BANDS],
        "about": [skip],
    }
    choices = options[step]
    earlier = current_text(ctx, step, current or {})
    if earlier:
        keep = (ctx.t("buddy.choice.keep_answer", answer=earlier), KEEP)
        choices = [keep, *[c for c in choices if c != skip]]
    ctx.prompt(ctx.t(f"buddy.ask.{step}", **accepted(ctx)), choices)


def pair_arg(text: str) -> tuple[int | None, str]:
    """``"#12 reason"`` → (12, "reason")."""
    words = text.split(maxsplit=1)
    if words and words[0].startswith("#") and words[0][1:].isdigit():
        return int(words[0][1:]), words[1] if len(words) > 1 else ""
    return None, text


def _pair_action(ctx: Context, verb: str, pair_id: int) -> Invoke:
    """``buddy <verb>`` about one pair. A command whose last argument is free text (``buddy
    end #12 reason``) reads the pair there as ``#12``; the others take its number."""
    word, *fixed = verb.split(" ")
    name = f"buddy {word}"
    command = ctx.services.registry.commands.get(name)
    free_text = command is not None and any(param.rest for param in command.params)
    return invoke(name, *fixed, f"#{pair_id}" if free_text else pair_id)


async def choose_pair(
    ctx: Context, pairs: list[BuddyPair], wanted: int | None, verb: str, none_key: str
) -> BuddyPair | None:
    """The one pair a command is about; asks with choices when there are several."""
    if wanted is not None:
        for pair in pairs:
            if pair.id == wanted:
                return pair
        ctx.say("buddy.no_such_pair", id=wanted)
        return None
    if not pairs:
        ctx.say(none_key)
        return None
    if len(pairs) == 1:
        return pairs[0]
    options = []
    for pair in pairs:
        other = rules.other_side(pair, ctx.person.id)
        label = (
            await display_name(ctx.session, other)
            if pair.status == ACTIVE
            else ctx.t("buddy.proposal_label", id=pair.id)
        )
        options.append((label, _pair_action(ctx, verb, pair.id)))
    ctx.prompt(ctx.t("buddy.which"), options)
    return None


async def start_profile(ctx: Context, role: str, args: str) -> None:
    """Shared by join and volunteer: consent, answers given at once, then the dialog."""
    max_capacity = ctx.config.buddies.max_capacity
    try:
        parsed = parse_arguments(args, max_capacity)
    except ProfileError as error:
        raise ArgumentError("buddy.error.wrapped", message=error_text(error, ctx)) from None
    if parsed.capacity is not None and role != "volunteer":
        raise ArgumentError("buddy.error.capacity_participant")
    command = "join" if role == "participant" else "volunteer"
    if parsed.consent is False:
        ctx.say("buddy.consent_declined")
        return
    if parsed.consent:
        await set_consent(ctx.session, ctx.person, "buddies", True, ctx.now)
    if not ctx.person.consent_buddies:
        rest = f"{args} consent=yes".strip()
        ctx.prompt(
            ctx.t("buddy.ask_consent"),
            [
                (ctx.t("choice.yes"), invoke(f"buddy {command}", rest)),
                (ctx.t("choice.no"), invoke(f"buddy {command}", "consent=no")),
            ],
        )
        return
    existing = await load.profile_of(ctx.session, ctx.person.id)
    if existing is not None and existing.role == role:
        given = bool(parsed.profile.answered) or parsed.capacity is not None
        if given and existing.seeking and not existing.paused:
            # One thing changed: the rest of the profile stays, no questions asked.
            await change(ctx, parsed.profile, parsed.capacity)
            return
        if given:
            # Back into the pool with what was given, the rest as it was.
            merged = Profile.from_data({**stored(existing), "answered": list(FIELDS)})
            for name in parsed.profile.answered:
                merged = merged.with_answer(name, getattr(parsed.profile, name))
            capacity = parsed.capacity or existing.capacity
            await next_question(
                ctx, {"role": role, "capacity": capacity, "profile": merged.to_data()}
            )
            return
    capacity = parsed.capacity or (existing.capacity if existing and role == "volunteer" else 1)
    data: dict[str, Any] = {
        "role": role,
        "capacity": capacity,
        "profile": parsed.profile.to_data(),
        # Answers given at once: ask only what is still needed.
        "optional": not parsed.profile.answered,
    }
    if existing is not None and existing.role == role:
        # Asked again: every question offers the earlier answer to keep.
        data["current"] = stored(existing)
    await next_question(ctx, data)


async def change(ctx: Context, changes: Profile, capacity: int | None) -> None:
    row = await pool.change_profile(ctx.session, ctx.person.id, changes, capacity, ctx.now)
    if row is None:
        ctx.say("buddy.profile_none")
        return
    ctx.say("buddy.profile_updated", profile=describe_profile(ctx, row))


def describe_profile(ctx: Context, row: BuddyProfile) -> str:
    text = describe(job_of(ctx), ctx.lang, stored(row), row.about or "")
    if row.role == "volunteer":
        text += "\n• " + ctx.t("buddy.profile.capacity", capacity=row.capacity)
    return text


async def after_answer(ctx: Context, data: dict[str, Any]) -> Next | Finish:
    """The next question still unanswered, or (with none left) the profile saved."""
    profile = Profile.from_data(data["profile"])
    missing = profile.missing(
        volunteer=data["role"] == "volunteer", optional=bool(data.get("optional", True))
    )
    if missing:
        if not profile.answered and "intro_shown" not in data:
            data["intro_shown"] = True
            ctx.say("buddy.dialog_intro")
        return Next(missing[0], data)
    ctx.end_dialog()
    single = data.get("single")
    if single:
        # `buddy profile <field>`: only that answer changes.
        changed = Profile().with_answer(single, getattr(profile, single))
        await change(ctx, changed, None)
        return Finish()
    await pool.save_profile(
        ctx.session, ctx.person.id, data["role"], profile, int(data["capacity"]), ctx.now
    )
    await announce(ctx, ProgrammeJoined(ctx.person.id, "buddies", data["role"] == "volunteer"))
    if data["role"] == "volunteer":
        ctx.say(
            "buddy.volunteer_saved", capacity=data["capacity"], time=ctx.config.buddies.match_at
        )
    else:
        ctx.say("buddy.joined", time=ctx.config.buddies.match_at)
    return Finish()


async def next_question(ctx: Context, data: dict[str, Any]) -> None:
    """Go on with the questionnaire from a command: the next question, or the end."""
    PROFILE.follow(ctx, await after_answer(ctx, data))


def _field(field: str) -> Step:
    """One question of the profile; "keep" (or skipping) keeps an earlier answer."""

    def ask_field(ctx: Context, data: dict[str, Any]) -> None:
        ask(ctx, field, data.get("current"))

    async def answer(ctx: Context, data: dict[str, Any], text: str) -> Outcome:
        current = (data.get("current") or {}).get(field)
        if current and (text.strip() == KEEP or skipped(text)):
            # Skipping keeps the earlier answer.
            profile = Profile.from_data(data["profile"]).with_answer(
                field, tuple(current) if isinstance(current, list) else current
            )
            data["profile"] = profile.to_data()
            return await after_answer(ctx, data)
        try:
            value = PARSERS[field](text)
        except ProfileError as error:
            ctx.reply(error_text(error, ctx))
            return Retry()
        data["profile"] = Profile.from_data(data["profile"]).with_answer(field, value).to_data()
        return await after_answer(ctx, data)

    return Step(ask_field, answer)


# The profile's questions, one at a time, each only while unanswered.
PROFILE = StepDialog(PROFILE_DIALOG, {field: _field(field) for field in FIELDS}, first=FIELDS[0])


def changeable(row: BuddyProfile, field: str) -> bool:
    """A volunteer has a capacity and no kind; a participant the other way round."""
    if field == "capacity":
        return row.role == "volunteer"
    if field == "kind":
        return row.role != "volunteer"
    return True
