"""Choice prompts as Matrix polls (MSC3381), and the answers to them (pure, no nio).

A prompt is one ``org.matrix.msc3381.poll.start`` event, the type Element and
other clients show as a poll today. Its answers are numbered ``"1"``, ``"2"``…
so a vote maps to the same option as the reaction ``1️⃣`` or the typed ``1``.
Clients without polls show the text fallback: the question and the numbered
options, answered by typing the number.

Votes arrive as ``org.matrix.msc3381.poll.response`` (or the stable
``m.poll.response``), a reference to the poll with the chosen answer ids.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from bot.adapters.matrix_rules import prompt_text, to_plain
from bot.core.events import Option

POLL_START = "org.matrix.msc3381.poll.start"
POLL_RESPONSE = "org.matrix.msc3381.poll.response"
STABLE_POLL_RESPONSE = "m.poll.response"
POLL_RESPONSE_TYPES = frozenset({POLL_RESPONSE, STABLE_POLL_RESPONSE})
#: MSC3381: clients show at most 20 answers; a longer prompt is sent as numbered text.
MAX_POLL_ANSWERS = 20

_TEXT = "org.matrix.msc1767.text"
_DISCLOSED = "org.matrix.msc3381.poll.disclosed"
_UNDISCLOSED = "org.matrix.msc3381.poll.undisclosed"


def fits_a_poll(options: Sequence[Option]) -> bool:
    return 1 <= len(options) <= MAX_POLL_ANSWERS


def poll_content(text: str, options: Sequence[Option], *, disclosed: bool) -> dict[str, Any]:
    """The content of a poll start event for a choice prompt.

    ``disclosed`` shows the tally while the poll is open: right for a direct chat,
    where the person sees their own answer; a poll in a shared room is undisclosed,
    so nobody's answer is shown to the room as a result.
    """
    question = to_plain(text)
    fallback = to_plain(prompt_text(text, options))
    labels = [to_plain(option.label) for option in options]
    return {
        POLL_START: {
            "kind": _DISCLOSED if disclosed else _UNDISCLOSED,
            "max_selections": 1,
            "question": {_TEXT: question},
            "answers": [
                {"id": str(number), _TEXT: label} for number, label in enumerate(labels, 1)
            ],
        },
        _TEXT: fallback,
        # The stable blocks, for clients that read those, and a plain body for the rest.
        "m.poll": {
            "kind": "m.disclosed" if disclosed else "m.undisclosed",
            "max_selections": 1,
            "question": {"m.text": [{"body": question}]},
            "answers": [
                {"m.id": str(number), "m.text": [{"body": label}]}
                for number, label in enumerate(labels, 1)
            ],
        },
        "m.text": [{"mimetype": "text/plain", "body": fallback}],
        "body": fallback,
        # Nobody is pinged by what the bot repeats (names, titles, "@room").
        "m.mentions": {},
    }


def poll_vote(content: Mapping[str, Any]) -> tuple[str, str] | None:
    """``(poll event id, chosen answer id)`` from a poll response's content, or None.

    Only the first selection counts (the prompts allow one); an empty selection
    (taking a vote back) or anything malformed is no answer.
    """
    relates = content.get("m.relates_to")
    if not isinstance(relates, Mapping) or relates.get("rel_type") != "m.reference":
        return None
    poll_id = relates.get("event_id")
    if not isinstance(poll_id, str) or not poll_id:
        return None
    selections: object = content.get("m.selections")
    unstable = content.get(POLL_RESPONSE)
    if selections is None and isinstance(unstable, Mapping):
        selections = unstable.get("answers")
    if not isinstance(selections, list) or not selections:
        return None
    first = selections[0]
    return (poll_id, first) if isinstance(first, str) else None


def answer_number(answer_id: str, option_count: int) -> int | None:
    """Which option (1-based) a poll answer id picks, or None."""
    if answer_id.isascii() and answer_id.isdigit() and 1 <= int(answer_id) <= option_count:
        return int(answer_id)
    return None
