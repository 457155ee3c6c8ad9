"""Race recaps written by code from the store's facts: pure text, no I/O, no Discord."""

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from bot.facts.statuses import Ending, ending, reason, retired
from bot.store.feed_records import RaceFlow
from bot.store.models import Entry, KeyMoment, Race, RaceNote, StageResult
from bot.wording import ordinal

MAX_LENGTH = 4096  # Discord's limit for an embed description
MAX_NON_FINISHERS = 5
MAX_MOVERS = 3

_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_NUMBER_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")
_NAME_SUFFIXES = frozenset({"jr", "jr.", "sr", "sr.", "ii", "iii", "iv"})
# Openers lowercased after "On lap N, " even when a capitalised word follows ("The Chevrolet of ...").
_LOWERCASE_OPENERS = frozenset({"A", "An", "The", "His", "Her", "Their", "Its", "Another"})
_POSSESSIVE = re.compile(r"['\u2019]s$")
# A `when` text that cites sources or offers alternatives records a disagreement between reports.
_CONFLICT = re.compile(r";|\bper\b|\bor\b", re.IGNORECASE)
_APPROXIMATE = re.compile(r"~|\b(?:about|around|approximately|roughly)\b", re.IGNORECASE)
_PLAIN_DECIMAL = re.compile(r"\d+(?:\.\d+)?")


@dataclass(frozen=True, slots=True)
class RecapFacts:
    """Everything a recap may say about one race, exactly as the store holds it."""

    race: Race
    entries: tuple[Entry, ...]  # finishing order
    stages: tuple[StageResult, ...]
    moments: tuple[KeyMoment, ...]
    notes: tuple[RaceNote, ...] = ()
    flow: RaceFlow | None = None  # NASCAR's feed: cautions and lead changes lap by lap, when stored


class RaceFacts(Protocol):
    """What a race's stored facts hold (the catalog's RaceData): all a recap is written from."""

    @property
    def race(self) -> Race:
        """The race's own facts."""
        ...

    @property
    def entries(self) -> tuple[Entry, ...]:
        """Its entries in finishing order."""
        ...

    @property
    def stages(self) -> tuple[StageResult, ...]:
        """Its stage results."""
        ...

    @property
    def moments(self) -> tuple[KeyMoment, ...]:
        """Its key moments, in our own words."""
        ...

    @property
    def notes(self) -> tuple[RaceNote, ...]:
        """What its sources disagree on or leave unknown."""
        ...

    @property
    def flow(self) -> RaceFlow | None:
        """NASCAR's feed: cautions and lead changes lap by lap, when stored."""
        ...


def recap_facts(data: RaceFacts) -> RecapFacts:
    """Return what a recap of a race may say: every recap (a fan's, a draft) is written from this."""
    return RecapFacts(data.race, data.entries, data.stages, data.moments, data.notes, data.flow)


def number_word(n: int) -> str:
    """Return n spelled out from zero to ten, in digits otherwise."""
    return _NUMBER_WORDS[n] if 0 <= n < len(_NUMBER_WORDS) else str(n)


def join_words(items: Sequence[str]) -> str:
    """Join items as English: 'A', 'A and B', 'A, B and C'."""
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} and {items[-1]}"


def surname(driver: str) -> str:
    """Return the family name a recap uses on second mention ('Ron Hornaday Jr.' -> 'Hornaday')."""
    words = driver.split()
    while len(words) > 1 and words[-1].lower() in _NAME_SUFFIXES:
        words.pop()
    return words[-1] if words else driver


def disqualified(entry: Entry) -> bool:
    """Return whether the entry's status says it was disqualified."""
    return ending(entry.status) is Ending.DISQUALIFIED


def leader_laps(entries: Iterable[Entry]) -> int | None:
    """Return the most laps any entry completed, or None when no laps are recorded."""
    return max((e.laps for e in entries if e.laps is not None), default=None)


def non_finishers(entries: Iterable[Entry]) -> list[Entry]:
    """Return the entries out before the flag, in finishing order (see bot.facts.statuses.retired)."""
    field = list(entries)
    most = leader_laps(field)
    return [e for e in field if retired(e.status, e.laps, most)]


def biggest_movers(entries: Iterable[Entry]) -> tuple[Entry, ...]:
    """Return the entries sharing the largest positive start-minus-finish gain, best finisher first.

    A tie names every tied driver, best finisher first, up to MAX_MOVERS of them. A disqualified entry made no
    climb: its place was given, not driven.
    """
    gains = [
        (gain, e) for e in entries if (gain := e.positions_gained) is not None and gain > 0 and not disqualified(e)
    ]
    if not gains:
        return ()
    best = max(gain for gain, _ in gains)
    tied = sorted((e for gain, e in gains if gain == best), key=lambda e: (e.finish or 0, e.driver))
    return tuple(tied[:MAX_MOVERS])


def stage_winners(stages: Iterable[StageResult]) -> dict[int, Entry | None]:
    """Map each stage that has results to its winner, or None where 1st place is unresolved."""
    winners: dict[int, Entry | None] = {}
    for result in stages:
        winners.setdefault(result.stage, None)
        if result.position == 1 and result.entry is not None:
            winners[result.stage] = result.entry
    return dict(sorted(winners.items()))


def stage_sweeper(stages: Iterable[StageResult]) -> Entry | None:
    """Return the driver who won every stage, or None.

    A sweep needs at least two stages with results, every one with a resolved winner, all the same
    driver: with a winner unknown we cannot claim it, and one stage is a win, not a sweep.
    """
    winners = list(stage_winners(stages).values())
    if len(winners) < 2 or winners[0] is None:
        return None
    first = winners[0]
    return first if all(w is not None and w.id == first.id for w in winners) else None


def most_laps_leaders(entries: Iterable[Entry]) -> tuple[Entry, ...]:
    """Return the entries that led the most laps (several on a tie), or () if nobody led one."""
    leading = [e for e in entries if e.laps_led]
    if not leading:
        return ()
    most = max(e.laps_led or 0 for e in leading)
    return tuple(e for e in leading if e.laps_led == most)


def pole_sitter(race: Race, entries: Iterable[Entry]) -> Entry | None:
    """Return the pole sitter: the race's pole entry, else whoever started 1st."""
    field = list(entries)
    by_id = next((e for e in field if race.pole_entry_id is not None and e.id == race.pole_entry_id), None)
    return by_id or next((e for e in field if e.start == 1), None)


def write_recap(facts: RecapFacts, *, shown: Callable[[str], str] = str) -> str:
    """Return a recap of the race in plain English, using only numbers found in the facts.

    The recap is Discord markdown (the winner in bold); shown writes each stored text it names (a driver, team,
    make, track, race or status) into it. Replies pass bot.ui.text.plain, so a name cannot turn into markup.
    """
    writer = _Writer(facts, shown)
    # Paragraphs are written in this order because each names drivers the later ones then skip.
    result, story, field, notes = writer.result(), writer.story(), writer.field(), writer.notes()
    fixed = [p for p in (result, story, field, notes) if p]
    # The moments get whatever room the other paragraphs leave, so they are what gets shortened.
    moments = writer.moments(budget=MAX_LENGTH - len("\n\n".join(fixed)) - len("\n\n"))
    paragraphs = [p for p in (result, story, moments, field, notes) if p]
    return _fit("\n\n".join(paragraphs))


class _Writer:
    """Composes a recap's paragraphs from one race's facts."""

    def __init__(self, facts: RecapFacts, shown: Callable[[str], str]) -> None:
        self.facts = facts
        self.shown = shown  # how a stored text is written into the recap (see write_recap)
        self.race = facts.race
        self.entries = facts.entries
        # A disqualified car listed 1st did not win: the recap then has no winner to name, and says why below.
        self.winner = next((e for e in self.entries if e.finish == 1 and not disqualified(e)), None)
        self.out = {e.id for e in non_finishers(self.entries)}
        self.runner_up = next((e for e in self.entries if e.finish == 2), None)
        self.pole = pole_sitter(self.race, self.entries)
        self.sweeper = stage_sweeper(facts.stages)
        self.stage_wins = stage_winners(facts.stages)
        self.laps_leaders = most_laps_leaders(self.entries)
        self.mentioned: set[int] = set()  # entry ids already named, so the top five does not repeat them
        names = (
            [e.driver for e in self.entries]
            + [e.team or "" for e in self.entries]
            + [e.make or "" for e in self.entries]
        )
        names += [self.race.track, self.race.series, self.race.name, self.race.fastest_lap_driver or ""]
        self.proper_words = frozenset(word for name in names for word in name.split())

    @property
    def label(self) -> str:
        """Return the race's name with its season, e.g. '2025 Baptist Health 200'."""
        name = self.race.name
        shown = self.shown(name)
        return shown if name.startswith(str(self.race.season)) else f"{self.race.season} {shown}"

    def result(self) -> str:
        """Return the opening paragraph: who won, in what, from where, by how much."""
        race, winner = self.race, self.winner
        when = (
            f"in round {race.round} of the {race.season} season"
            if race.date_precision == "season"
            else f"on {_MONTHS[race.date.month - 1]} {race.date.day}"
        )
        where = f"the {self.label} at {self.shown(race.track)} {when}"
        if not self.entries:
            return f"There are no results for {where} yet."
        if winner is None:
            return f"No winner is recorded yet for {where}."
        self.mentioned.add(winner.id)
        sentence = f"**{self.shown(winner.driver)}** won {where}"
        if machine := _machine(winner, self.shown):
            sentence += f", driving the {machine}"
        if winner.start is not None:
            sentence += " from pole" if winner.start == 1 else f" from {ordinal(winner.start)} on the grid"
        margin = _margin(race.margin_s)
        if self.runner_up is not None:
            self.mentioned.add(self.runner_up.id)
            beaten = self.shown(self.runner_up.driver)
            sentence += f" and beating {beaten}" + (f" by {margin}" if margin else " to the flag")
        elif margin:
            sentence += f" to win by {margin}"
        sentences = [sentence + "."]
        feats = self._feats(winner)
        if feats:
            sentences.append(f"{self.shown(surname(winner.driver))} also {join_words(feats)}.")
        return " ".join(sentences)

    def story(self) -> str:
        """Return the paragraph on the other drivers who shaped the race and how the lead was shared."""
        sentences = [self._contender(e) for e in self._contenders()]
        sentences.append(self._fastest_lap())
        sentences.append(self._lead_and_cautions())
        return " ".join(s for s in sentences if s)

    def field(self) -> str:
        """Return the paragraph on the rest of the top five, the biggest mover, retirements and disqualifications."""
        sentences = [self._top_five(), self._movers(), self._retirements(), self._disqualifications()]
        return " ".join(s for s in sentences if s)

    def moments(self, budget: int) -> str:
        """Return the key moments in race order, as many as fit in budget characters."""
        text = ""
        for moment in self.facts.moments:
            sentence = _moment_sentence(moment, self.proper_words)
            if not sentence:
                continue
            longer = f"{text} {sentence}" if text else sentence
            if len(longer) > budget:
                break
            text = longer
        return text

    def notes(self) -> str:
        """Return a one-line caution when the store records disagreements between sources."""
        if any(note.kind == "conflict" for note in self.facts.notes):
            return "_Sources disagree on a few details of this race._"
        return ""

    def _feats(self, entry: Entry) -> list[str]:
        """Return what the entry did at the front: stage wins and laps led."""
        feats = []
        if self.sweeper is not None and self.sweeper.id == entry.id:
            feats.append("swept both stages" if len(self.stage_wins) == 2 else "swept every stage")
        else:
            won = [n for n, w in self.stage_wins.items() if w is not None and w.id == entry.id]
            if won:
                feats.append(f"won Stage{'s' if len(won) > 1 else ''} {join_words([str(n) for n in won])}")
        if any(e.id == entry.id for e in self.laps_leaders):
            laps = _count(entry.laps_led or 0, "lap")
            tied = len(self.laps_leaders) > 1
            feats.append(f"shared the race-high of {laps} led" if tied else f"led a race-high {laps}")
        return feats

    def _contenders(self) -> list[Entry]:
        """Return the non-winners who took the pole, a stage or the most laps, in finishing order."""
        notable = {e.id: e for e in self.entries if self._feats(e)}
        if self.pole is not None:
            notable[self.pole.id] = self.pole
        if self.winner is not None:
            notable.pop(self.winner.id, None)
        return sorted(notable.values(), key=lambda e: (e.finish is None, e.finish or 0, e.driver))

    def _contender(self, entry: Entry) -> str:
        """Return one sentence on a non-winner who shaped the race and where they ended up."""
        self.mentioned.add(entry.id)
        is_pole = self.pole is not None and self.pole.id == entry.id
        driver = self.shown(entry.driver)
        name = f"Pole sitter **{driver}**" if is_pole else f"**{driver}**"
        feats = self._feats(entry)
        if disqualified(entry):
            outcome = "was disqualified"
        elif entry.id in self.out:
            outcome = "did not finish"
        elif entry.finish is not None:
            outcome = f"came home {ordinal(entry.finish)}" if feats else f"finished {ordinal(entry.finish)}"
        else:
            outcome = ""
        if not feats:
            return f"{name} {outcome}." if outcome else ""
        return f"{name} {join_words(feats)}" + (f", but {outcome}." if outcome else ".")

    def _fastest_lap(self) -> str:
        """Return who set the fastest lap, with their laps led and finish when not said already."""
        driver = self.race.fastest_lap_driver
        if not driver:
            return ""
        time = (
            f" ({self.race.fastest_lap_s} seconds)" if _PLAIN_DECIMAL.fullmatch(self.race.fastest_lap_s or "") else ""
        )
        entry = next((e for e in self.entries if e.driver == driver), None)
        feats = []
        if entry is not None and entry.id not in self.mentioned:
            if entry.laps_led:
                feats.append(f"led {_count(entry.laps_led, 'lap')}")
            feats.append(f"set the fastest lap{time}")
            if entry.finish is not None and entry.id not in self.out and not disqualified(entry):
                feats.append(f"finished {ordinal(entry.finish)}")
            self.mentioned.add(entry.id)
        else:
            feats.append(f"set the fastest lap{time}")
        return f"{self.shown(driver)} {join_words(feats)}."

    def _lead_and_cautions(self) -> str:
        """Return how many drivers led, how often the lead changed and the cautions, where recorded."""
        race = self.race
        sentences = []
        if race.leaders == 1:
            sentences.append("Only one driver led a lap.")
        elif race.leaders:
            changes = f", swapping it {_count(race.lead_changes, 'time')}" if race.lead_changes else ""
            sentences.append(f"In all, {number_word(race.leaders)} drivers took a turn in the lead{changes}.")
        elif race.lead_changes:
            sentences.append(f"The lead changed hands {_count(race.lead_changes, 'time')}.")
        flow = self.facts.flow
        if flow is not None:
            sentences.append(self._last_lead_change(flow))
        cautions = race.cautions
        if cautions is None and flow is not None and flow.cautions:
            cautions = len(flow.cautions)
        if cautions is not None:
            laps = f" for {_count(race.caution_laps, 'lap')}" if race.caution_laps is not None else ""
            sentences.append(f"The race saw {_count(cautions, 'caution')}{laps}.")
        if flow is not None:
            sentences.append(self._longest_caution(flow))
        return " ".join(s for s in sentences if s)

    def _last_lead_change(self, flow: RaceFlow) -> str:
        """Return who took the lead for the last time and on which lap, from the lead changes lap by lap."""
        # The first spell (lap 0 to 0) is the pole sitter leading the field to the green: no change of lead.
        changes = [c for c in flow.lead_changes if c.start_lap]
        if not changes:
            return ""
        last = changes[-1]
        who = self.shown(last.driver) if last.driver else f"the #{self.shown(last.car)}"
        return f"{who} took the lead for the last time on lap {last.start_lap}."

    def _longest_caution(self, flow: RaceFlow) -> str:
        """Return the longest caution period with its reason, from the caution segments."""
        timed = [c for c in flow.cautions if c.start_lap is not None and c.end_lap is not None]
        if len(timed) < 2:
            return ""
        longest = max(timed, key=lambda c: (c.end_lap or 0) - (c.start_lap or 0))
        reason = f", for {self.shown(longest.reason.lower())}," if longest.reason else ""
        return f"The longest caution{reason} ran from lap {longest.start_lap} to lap {longest.end_lap}."

    def _top_five(self) -> str:
        """Return who else made the top five, when the results reach 5th."""
        if not any(e.finish == 5 for e in self.entries):
            return ""
        rest = [e for e in self.entries if e.finish in (3, 4, 5) and e.id not in self.mentioned]
        rest = [e for e in rest if not disqualified(e)]  # a disqualified car is named in a sentence of its own
        rest.sort(key=lambda e: e.finish or 0)
        if not rest:
            return ""
        return f"{join_words([self.shown(e.driver) for e in rest])} completed the top five."

    def _movers(self) -> str:
        """Return the biggest climb from grid to flag."""
        movers = biggest_movers(self.entries)
        if not movers:
            return ""
        climbs = [f"from {ordinal(e.start or 0)} to {ordinal(e.finish or 0)}" for e in movers]
        gain = _count(movers[0].positions_gained or 0, "spot")
        if len(movers) == 1:
            return f"{self.shown(movers[0].driver)} made the biggest climb of the race, {climbs[0]} ({gain})."
        names = join_words([self.shown(e.driver) for e in movers])
        return f"{names} made the biggest climbs, {gain} each ({join_words(climbs)} respectively)."

    def _retirements(self) -> str:
        """Return the drivers who did not finish, with why and how far they got."""
        out = non_finishers(self.entries)
        if not out:
            return ""
        named = join_words([_retirement(e, self.shown) for e in out[:MAX_NON_FINISHERS]])
        if len(out) > MAX_NON_FINISHERS:
            return f"{named} were among those who failed to finish."
        return f"{named} failed to finish."

    def _disqualifications(self) -> str:
        """Return who was disqualified, with the place each is listed in."""
        out = [e for e in self.entries if disqualified(e)]
        if not out:
            return ""
        named = join_words(
            [self.shown(e.driver) + (f" (classified {ordinal(e.finish)})" if e.finish is not None else "") for e in out]
        )
        return f"{named} {'was' if len(out) == 1 else 'were'} disqualified."


def _machine(entry: Entry, shown: Callable[[str], str]) -> str:
    """Return the car as fans say it: '#07 Spire Motorsports Chevrolet'."""
    words = [f"#{entry.car_number}" if entry.car_number else "", shown(entry.team or ""), shown(entry.make or "")]
    return " ".join(w for w in words if w)


def _margin(margin_s: str | None) -> str:
    """Return the margin exactly as stored with its unit, or '' when it is missing or not a plain number."""
    if margin_s is None or not _PLAIN_DECIMAL.fullmatch(margin_s.strip()):
        return ""
    margin = margin_s.strip()
    return f"{margin} second" if margin == "1" else f"{margin} seconds"


def _count(n: int, noun: str) -> str:
    """Return '1 lap' or '78 laps'."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _retirement(entry: Entry, shown: Callable[[str], str]) -> str:
    """Return 'Ben Rhodes (suspension, 83 laps)'."""
    why = [shown(reason(entry.status))]
    if entry.laps is not None:
        why.append(_count(entry.laps, "lap"))
    return f"{shown(entry.driver)} ({', '.join(why)})"


def _moment_sentence(moment: KeyMoment, proper_words: frozenset[str]) -> str:
    """Return the moment's own summary, introduced by its lap or laps to go."""
    summary = moment.summary.strip()
    if not summary:
        return ""
    if summary[-1] not in ".!?":
        summary += "."
    when = _moment_time(moment)
    if not when:
        return summary
    return f"{when}, {_lower_opener(summary, proper_words)}"


def _lower_opener(summary: str, proper_words: frozenset[str]) -> str:
    """Return the summary with its first word lowercased unless it looks like a name.

    A name is a word of a driver, team, make, track or series in the facts, or any capitalised word
    followed by another ('Gio Ruggiero'): mangling a name reads worse than keeping a capital.
    """
    first, _, rest = summary.partition(" ")
    following = rest[:1]
    base = _POSSESSIVE.sub("", first)
    is_common = base.isalpha() and base.istitle() and base not in proper_words and not following.isupper()
    if first in _LOWERCASE_OPENERS or is_common:
        return f"{first[0].lower()}{first[1:]} {rest}".rstrip()
    return summary


def _moment_time(moment: KeyMoment) -> str:
    """Return 'On lap 91', 'With about 21 to go' or '' when the moment has neither."""
    approximate = bool(_APPROXIMATE.search(moment.when))
    if moment.lap is not None:
        when = f"Around lap {moment.lap}" if approximate else f"On lap {moment.lap}"
    elif moment.laps_to_go is not None:
        when = f"With {'about ' if approximate else ''}{moment.laps_to_go} to go"
    else:
        return ""
    return f"{when} (reports differ)" if _CONFLICT.search(moment.when) else when


def _fit(text: str) -> str:
    """Return text cut at a word boundary to MAX_LENGTH, so no number is ever split."""
    if len(text) <= MAX_LENGTH:
        return text
    cut = text.rfind(" ", 0, MAX_LENGTH - 3)
    return text[: cut if cut > 0 else MAX_LENGTH - 3].rstrip() + "..."
