"""The whole impact flow in the console, with the clock moved across six months: joining,
saying yes, answering by number, the follow-ups, a volunteer's pulse, and the report."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.adapters.console import ConsoleAdapter
from bot.bootstrap import bootstrap
from bot.config import parse_config
from bot.core.clock import FakeClock
from bot.core.i18n import Translator
from tests.conftest import START, UNLIMITED

ALICE_JOINS = (
    "!buddy join consent=yes languages=da,en contact=text times=weekday-evenings"
    " kind=volunteer interests=walks"
)
# "#wait N" moves the clock N days on and runs what is due (the console's own clock
# command does the same for a person at the keyboard).
SCRIPT = [
    ":as vera volunteer",
    '!meal schedule "Supper" tomorrow 18:00',
    ":as alice",
    ALICE_JOINS,
    "#wait 0",
    "1",  # Yes, I'll help
    "3",  # lack companionship: often
    "3",  # left out: often
    "2",  # isolated: some of the time
    "4",  # lonely: often
    ":as vera",
    "1",  # Yes, I'll help (the volunteer's invitation)
    "#wait 2",
    "4",  # the meal went well
    "1",  # no support needed
    "3",  # 3 hours
    ":as alice",
    "#wait 31",
    "2",
    "1",
    "1",
    "2",
    "#wait 62",
    "1",
    "1",
    "1",
    "2",
    "#wait 92",
    "1",
    "1",
    "1",
    "1",
    ":as olga organiser",
    "!admin impact 12",
    ":as alice",
    "!impact",
]


async def test_the_impact_flow_in_the_console(
    engine: AsyncEngine, translator: Translator, tmp_path: Path
) -> None:
    config = parse_config(
        {
            "community": {"language": "en"},
            "safety": UNLIMITED,
            "impact": {"enabled": True},
            "console": {"enabled": True, "export_dir": str(tmp_path / "exports")},
        }
    )
    clock = FakeClock(START)
    printed: list[str] = []
    holder: dict[str, object] = {}

    async def lines() -> AsyncIterator[str]:
        for line in SCRIPT:
            if line.startswith("#wait"):
                clock.advance(timedelta(days=int(line.split()[1])))
                for _ in range(3):
                    await holder["app"].tick()  # type: ignore[attr-defined]
                continue
            printed.append(f"> {line}")
            yield line

    console = ConsoleAdapter(config, lines=lines, output=printed.append)
    app = await bootstrap(
        config,
        clock=clock,
        engine=engine,
        adapters=[console],
        migrate=False,
        translator=translator,
    )
    holder["app"] = app
    try:
        await console.start(app.handle)
    finally:
        await app.close()
    out = "\n".join(printed)
    assert "[to alice] Would you help Samvær learn" in out
    assert "1) Yes, I'll help" in out
    assert "1/4 How often do you feel that you lack companionship?" in out
    assert "4/4 How often do you feel lonely?" in out
    assert "It has been 1 month since the first questions" in out
    assert "It has been 3 months since the first questions" in out
    assert "It has been 6 months since the first questions" in out
    assert "that was the last round" in out
    assert "[to vera] Thank you for hosting Supper" in out
    assert "Thank you for what you give." in out
    # Four rounds from one person: the report keeps her figures to itself.
    assert "Too few people have answered both" in out
    assert "samvaer-impact-" in out
    exports = sorted(p.suffix for p in (tmp_path / "exports" / "olga").iterdir())
    assert exports == [".html", ".pdf", ".zip"]
    assert "rounds answered: 4" in out
