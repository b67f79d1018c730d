"""Who is proposed to whom: a pure function of the waiting pool.

Rules (never broken): a pair shares at least one language; a volunteer gets
no more new buddies than their free capacity; people who blocked each other
or were paired before (in any outcome) are never proposed again; a
participant who asked for a volunteer gets a volunteer, one who asked for a
peer gets a peer, ``any`` may get either; a stated wish for the buddy's
gender or age band is met both ways (``scoring.wishes_fit``), and an unknown
gender or age never meets one. Wishes never change a score.

The score adds shared free times, shared contact modes and shared interests
to a base of one, plus a fairness bonus that grows with the days someone has
waited, so long waits win ties and nobody waits forever.

Method. Scores are computed for all pairs at once: each person's times,
contact modes and interests are rows of 0/1 columns, so what two people share
is one matrix product (float32 holds these half-unit sums exactly), and pairs
without a shared language, excluded pairs and anyone with themself are set
to -inf.

The volunteer round assigns participants to volunteer capacity so that the
total score is largest. Up to ``EXACT_EDGE_LIMIT`` possible pairs it is
solved exactly (scipy's sparse LAPJV on capacity slots). Beyond that it is a
forward auction on the full score matrix (``_auction``): participants bid for
volunteers, each bid raising a slot's price by the bidder's margin over their
next best option plus ``AUCTION_STEP``; vectorised, one round handles every
bidder at once. The result is within ``AUCTION_STEP`` per slot of the optimum
by construction and, on the benchmark pools, within 0.3% of it. Prices start
at ``AUCTION_START_PRICE`` times the worth of the marginal participant (most
rounds otherwise only raise prices from zero towards it); if that head start
overshoots, the auction starts again from zero.

Participants left over who accept a peer are then paired among themselves:
exactly (blossom algorithm) up to ``PEER_EXACT_LIMIT`` people; beyond that in
groups of at most ``PEER_CHUNK`` people placed by their most widely spoken
language. In each group the assignment relaxation (everyone picks one
partner; i may pick j while j picks k) is solved exactly by
``linear_sum_assignment``; its picks form paths and cycles, and the best
pairing along each one is found by dynamic programming, which keeps the full
share of every even cycle. People left unpaired (odd cycles, or nobody in
their group) are paired greedily across groups. ``bench/buddies_matching.py``
reports the quality of both against the exact optimum.

Where each part lives: the scores in ``scoring``, the volunteer round in
``volunteer_matching``, the peer round in ``peer_matching``; this module runs
a whole round and says why the others still wait.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace

from bot.buddies.peer_matching import pair_peers
from bot.buddies.scoring import Candidate, Proposal, _vocabularies, _vocabulary, pair_score
from bot.buddies.volunteer_matching import assign_volunteers


@dataclass
class RoundResult:
    """What a round decided, and why the others still wait."""

    proposals: list[Proposal] = field(default_factory=list)
    waiting: dict[int, tuple[str, str]] = field(default_factory=dict)

    @property
    def total_score(self) -> float:
        return float(sum(p.score for p in self.proposals))

    def reasons(self) -> Counter[tuple[str, str]]:
        """How many wait for each (reason, detail), e.g. ("no_volunteer_language", "ar")."""
        return Counter(self.waiting.values())


def match_round(
    participants: Sequence[Candidate],
    volunteers: Sequence[Candidate],
    excluded: set[frozenset[int]],
    full: Sequence[Candidate] = (),
) -> RoundResult:
    """One matching round: volunteers first, then peers among those left, then reasons.

    ``full`` are volunteers with no free capacity: never proposed, they only tell a
    missing language ("nobody speaks Arabic") from a lack of room ("those who speak it
    are busy").
    """
    vocabularies = _vocabularies(participants, volunteers)
    result = RoundResult()
    result.proposals.extend(assign_volunteers(participants, volunteers, excluded, vocabularies))
    matched = {p.participant for p in result.proposals}
    left = [p for p in participants if p.person_id not in matched]
    result.proposals.extend(pair_peers(left, excluded, vocabularies))
    matched = {p.participant for p in result.proposals}
    matched |= {p.partner for p in result.proposals if p.kind == "peer"}
    still = [person for person in participants if person.person_id not in matched]
    result.waiting = waiting_reasons(still, participants, volunteers, excluded, full)
    return result


def _language_masks(people: Iterable[Candidate], codes: dict[str, int]) -> list[int]:
    return [sum(1 << codes[language] for language in person.languages) for person in people]


def waiting_reasons(
    waiting: Sequence[Candidate],
    participants: Sequence[Candidate],
    volunteers: Sequence[Candidate],
    excluded: set[frozenset[int]],
    full: Sequence[Candidate] = (),
) -> dict[int, tuple[str, str]]:
    """``why_waiting`` for many people at once, by groups of language sets.

    Who could pair with whom depends on the languages (a set, so a bitmask),
    kinds, exclusions and identity; counting the possible partners per
    language set and subtracting each person's own exclusions avoids
    comparing everybody with everybody.
    """
    codes = _vocabulary([participants, volunteers, waiting, full], "languages")
    peerish = [p for p in participants if p.kind in ("peer", "any")]
    peer_masks = Counter(_language_masks(peerish, codes))
    volunteer_masks = Counter(_language_masks(volunteers, codes))
    peer_ids: dict[int, list[int]] = {}
    for person, mask in zip(peerish, _language_masks(peerish, codes), strict=True):
        peer_ids.setdefault(person.person_id, []).append(mask)
    volunteer_ids: dict[int, list[int]] = {}
    for person, mask in zip(volunteers, _language_masks(volunteers, codes), strict=True):
        volunteer_ids.setdefault(person.person_id, []).append(mask)
    partners_of: dict[int, set[int]] = {}
    for pair in excluded:
        if len(pair) == 2:
            first, second = tuple(pair)
            partners_of.setdefault(first, set()).add(second)
            partners_of.setdefault(second, set()).add(first)

    full_masks = list(zip(full, _language_masks(full, codes), strict=True))

    def busy_speaker(person: Candidate, mask: int) -> bool:
        """A full volunteer speaks their language and was never paired with them."""
        return any(
            other & mask and frozenset((person.person_id, v.person_id)) not in excluded
            for v, other in full_masks
        )

    def sharing(masks: Counter[int], mask: int) -> int:
        return sum(count for other, count in masks.items() if other & mask)

    sharing_peers: dict[int, int] = {}
    sharing_volunteers: dict[int, int] = {}
    reasons = {}
    for person, mask in zip(waiting, _language_masks(waiting, codes), strict=True):
        language = min(person.languages) if person.languages else ""
        wish = wish_reason(person, participants, volunteers, excluded)
        if wish is not None:
            reasons[person.person_id] = (wish, language)
            continue
        if mask not in sharing_peers:
            sharing_peers[mask] = sharing(peer_masks, mask)
            sharing_volunteers[mask] = sharing(volunteer_masks, mask)
        # Partners ruled out for this person: themself and their exclusions.
        ruled_out = {person.person_id} | partners_of.get(person.person_id, set())
        if person.kind in ("volunteer", "any"):
            speaking = sharing_volunteers[mask]
            if person.kind == "volunteer":
                if not speaking:
                    reasons[person.person_id] = (
                        "no_volunteer_capacity"
                        if busy_speaker(person, mask)
                        else "no_volunteer_language",
                        language,
                    )
                    continue
                barred = sum(
                    1 for pid in ruled_out for other in volunteer_ids.get(pid, ()) if other & mask
                )
                if speaking - barred <= 0:
                    reasons[person.person_id] = ("only_previous", language)
                else:
                    reasons[person.person_id] = ("no_volunteer_capacity", language)
                continue
        barred = sum(1 for pid in ruled_out for other in peer_ids.get(pid, ()) if other & mask)
        has_peers = sharing_peers[mask] - barred > 0
        if person.kind == "peer" and not has_peers:
            reasons[person.person_id] = ("no_peer_language", language)
        elif (
            person.kind == "any"
            and not has_peers
            and not sharing_volunteers[mask]
            and not busy_speaker(person, mask)
        ):
            reasons[person.person_id] = ("no_language", language)
        else:
            reasons[person.person_id] = ("no_capacity", language)
    return reasons


def why_waiting(
    person: Candidate,
    participants: Sequence[Candidate],
    volunteers: Sequence[Candidate],
    excluded: set[frozenset[int]],
    used: Counter[int],
    full: Sequence[Candidate] = (),
) -> tuple[str, str]:
    """A short reason code and detail (a language code) for someone not proposed."""
    language = sorted(person.languages)[0] if person.languages else ""
    wish = wish_reason(person, participants, volunteers, excluded)
    if wish is not None:
        return (wish, language)

    def allowed(other: Candidate, peer: bool) -> bool:
        return (
            frozenset((person.person_id, other.person_id)) not in excluded
            and pair_score(person, other, partner_is_peer=peer) is not None
        )

    busy = any(
        v.languages & person.languages
        and frozenset((person.person_id, v.person_id)) not in excluded
        for v in full
    )
    if person.kind in ("volunteer", "any"):
        speaking = [v for v in volunteers if v.languages & person.languages]
        if not speaking and person.kind == "volunteer":
            return ("no_volunteer_capacity" if busy else "no_volunteer_language", language)
        if speaking and person.kind == "volunteer":
            if not any(allowed(v, False) for v in speaking):
                return ("only_previous", language)
            return ("no_volunteer_capacity", language)
    peers = [p for p in participants if p.kind in ("peer", "any") and allowed(p, True)]
    if person.kind == "peer" and not peers:
        return ("no_peer_language", language)
    if (
        person.kind == "any"
        and not peers
        and not any(v.languages & person.languages for v in volunteers)
        and not busy
    ):
        return ("no_language", language)
    return ("no_capacity", language)


def wish_reason(
    person: Candidate,
    participants: Sequence[Candidate],
    volunteers: Sequence[Candidate],
    excluded: set[frozenset[int]],
) -> str | None:
    """``"wish_gender"``, ``"wish_age"`` or ``"wish_both"`` when the person's own wish is
    what keeps them waiting: nobody in the pool fits them with it, but somebody would
    without it (the gender wish alone, the age wish alone, or only both). None otherwise,
    and always for someone with no wish (another person's wish is never named)."""
    if not person.wishes:
        return None
    others = [(v, False) for v in volunteers] if person.kind in ("volunteer", "any") else []
    if person.kind in ("peer", "any"):
        others += [(p, True) for p in participants if p.kind in ("peer", "any")]

    def reachable(who: Candidate) -> bool:
        return any(
            frozenset((who.person_id, other.person_id)) not in excluded
            and pair_score(who, other, partner_is_peer=peer) is not None
            for other, peer in others
        )

    if reachable(person):
        return None
    if person.wish_gender and reachable(replace(person, wish_gender=frozenset())):
        return "wish_gender"
    if person.wish_age and reachable(replace(person, wish_age=frozenset())):
        return "wish_age"
    if reachable(replace(person, wish_gender=frozenset(), wish_age=frozenset())):
        return "wish_both"
    return None
