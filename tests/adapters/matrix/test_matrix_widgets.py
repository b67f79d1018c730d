"""A meal's call as a widget in its Matrix room, on a real Synapse: put there when the
meal is scheduled, gone when it is cancelled, and the host told once when the bot may
not send room state."""

from __future__ import annotations

from typing import Any

import pytest
from nio import RoomGetStateEventResponse, RoomPutStateResponse
from sqlalchemy import select

from bot.app import App
from bot.meals.models import Meal, MealTable
from tests.adapters.matrix.conftest import MatrixUser, MatrixWorld, bot_message

pytestmark = pytest.mark.synapse

WIDGETS = "im.vector.modular.widgets"


async def _meal(app: App, title: str) -> tuple[Meal, list[str]]:
    async with app.uow() as uow:
        meal = (await uow.session.execute(select(Meal).where(Meal.title == title))).scalar_one()
        uow.session.expunge(meal)
        links = list((await uow.session.execute(select(MealTable.video_url))).scalars())
        return meal, links


async def _widget(person: MatrixUser, room: str, key: str) -> dict[str, Any] | None:
    """The widget's state content as the room holds it; None when there is none."""
    answer = await person.client.room_get_state_event(room, WIDGETS, key)
    if not isinstance(answer, RoomGetStateEventResponse):
        return None
    return dict(answer.content)


async def _room_with_bot(world: MatrixWorld, vera: MatrixUser, *, may_send_state: bool) -> str:
    room = await vera.create_room([world.bot.user_id])
    if may_send_state:
        levels = await vera.client.room_get_state_event(room, "m.room.power_levels")
        assert isinstance(levels, RoomGetStateEventResponse)
        content = dict(levels.content)
        content["users"] = {**content.get("users", {}), world.bot.user_id: 50}
        put = await vera.client.room_put_state(room, "m.room.power_levels", content)
        assert isinstance(put, RoomPutStateResponse), put
    return room


async def test_a_scheduled_meal_puts_its_call_in_the_room_and_cancelling_removes_it(
    world: MatrixWorld,
) -> None:
    vera = await world.person("vera")
    room = await _room_with_bot(world, vera, may_send_state=True)
    config = world.config(rooms={"meals": [f"matrix:{room}"]}, roles={"volunteers": [vera.user_id]})
    app, _adapter = await world.start_bot(config)
    await vera.wait_joined(room, world.bot.user_id)

    await vera.say(room, '!meal schedule "Curry" tomorrow 18:00 every week')
    await vera.wait_for(bot_message(world.bot.user_id, room, "Curry"), "the announcement")
    await app.tick()
    meal, links = await _meal(app, "Curry")
    key = f"samvaer-meal-{meal.id}"
    widget = await _widget(vera, room, key)
    assert widget is not None
    assert widget["type"] == "jitsi"
    assert widget["name"] == "Curry"
    assert widget["creatorUserId"] == world.bot.user_id
    # The meal's own unguessable conference: the one table 1 meets at on every date.
    conference = widget["data"]["conferenceId"]
    assert conference.startswith("Samvaer-")
    assert meal.place_url == f"https://meet.jit.si/{conference}"
    assert meal.place_url in links
    assert widget["data"]["domain"] == "meet.jit.si"
    assert meal.native_event_id == f"{room} {key}"

    await vera.say(room, f"!meal cancel {meal.code} all yes")
    await vera.wait_for(bot_message(world.bot.user_id, room, "is cancelled"), "the cancel answer")
    await app.tick()
    assert not await _widget(vera, room, key)  # empty content: Element shows no widget


async def test_without_the_power_level_the_meal_keeps_its_link_and_the_host_is_told(
    world: MatrixWorld,
) -> None:
    vera = await world.person("vera")
    room = await _room_with_bot(world, vera, may_send_state=False)
    config = world.config(rooms={"meals": [f"matrix:{room}"]}, roles={"volunteers": [vera.user_id]})
    app, _adapter = await world.start_bot(config)
    await vera.wait_joined(room, world.bot.user_id)
    dm = await vera.create_room([world.bot.user_id], direct=True)
    await vera.wait_joined(dm, world.bot.user_id)

    await vera.say(room, '!meal schedule "Curry" tomorrow 18:00')
    await vera.wait_for(bot_message(world.bot.user_id, room, "Curry"), "the announcement")
    await app.tick()
    await app.tick()
    await vera.wait_for(bot_message(world.bot.user_id, dm, "could not be added"), "the notice")
    meal, links = await _meal(app, "Curry")
    assert await _widget(vera, room, f"samvaer-meal-{meal.id}") is None
    assert meal.native_event_id == ""
    assert links == [meal.place_url]
    assert meal.place_url.startswith("https://meet.jit.si/Samvaer-")
