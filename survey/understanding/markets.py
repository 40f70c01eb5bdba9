"""Reading markets: the markets, regions, groups of markets and places abroad a prompt names, and
which of them a dataset surveys."""

from __future__ import annotations

import re

from survey.catalog import (
    LOCATIONS,
    MARKET_GROUPS,
    REGION_ALIASES,
    Datapoint,
    DatasetSpec,
    Location,
    MarketGroup,
    Question,
)
from survey.lexicon import WORLD, Place, fold

# The words questions are built of ("what share of … in …"): no topic is named by them.
from survey.understanding.audiences import _and
from survey.understanding.known import Known
from survey.understanding.reading import Reading, Understanding
from survey.understanding.topics import _answer_named


def _group_understood(group: MarketGroup, members: list[Location]) -> str:
    """ "location: Nordics (4 markets)", or which of the group's markets the dataset lacks."""
    if len(members) == len(group.codes):
        return f"location: {group.name} ({len(members)} markets)"
    surveyed = ", ".join(loc.name for loc in members) or "none"
    return f"location: {group.name} ({len(members)} of its {len(group.codes)} markets surveyed here: {surveyed})"


def _names_location(r: Reading) -> bool:
    return bool(r.locations or r.places)


class Markets(Known):
    """The interpreter's market reading: mixed into `Interpreter`."""

    def _world(self) -> None:
        """The world's places these datasets do not survey (every country and territory, and places
        inside one), and generations named by birth year that are no dataset's audience here."""
        by_iso = {WORLD.iso[loc.code]: loc for loc in self.locations}
        self.market_of: dict[str, Location] = by_iso  # alpha-2 -> the market surveyed here
        places = dict(WORLD.places)
        for loc in LOCATIONS:  # a catalog market none of these datasets surveys is a place abroad here
            code = WORLD.iso[loc.code]
            for name in (loc.name.lower(), *loc.aliases, *loc.demonyms):
                places.setdefault(fold(name), Place(loc.name, code, loc.name, loc.region, inside=False))
        known = {fold(p) for loc in self.locations for p in (loc.name, *loc.aliases, *loc.demonyms)}
        self.places = {
            phrase: place for phrase, place in sorted(places.items(), key=lambda kv: -len(kv[0]))
            if phrase not in known and phrase != "us"
        }  # fmt: skip
        named = [(p, g) for g in WORLD.generations for p in g.phrases if p not in self.audience_phrases]
        self.generations = sorted(named, key=lambda pg: -len(pg[0]))

    def _locations(self, original: str, text: str, result: Reading) -> tuple[str, list[Location]]:
        found: list[Location] = []
        # Countries and regions together, longest phrase first: "south african" before "african",
        # "north america" before "america".
        phrases: list[tuple[str, Location | str | MarketGroup]] = [
            (name, loc) for loc in self.locations for name in (loc.name.lower(), *loc.aliases, *loc.demonyms)
        ]
        phrases += [(alias, region) for region, aliases in REGION_ALIASES.items() for alias in aliases]
        phrases += [(phrase, group) for group in MARKET_GROUPS for phrase in group.phrases]
        for name, target in sorted(phrases, key=lambda x: -len(x[0])):
            if name == "us":  # the pronoun: only "US" / "U.S." written in capitals names the country
                if not re.search(r"\bU\.?S\.?\b(?!\w)", original):
                    continue
                pattern = r"\bu\.?s\.?(?=\s|$|[^a-z])"
            elif name not in text:  # the pattern needs the name: skip the regex (most names)
                continue
            else:
                pattern = r"\b" + re.escape(name) + r"\b"
            if not re.search(pattern, text):
                continue
            text = re.sub(pattern, " ", text)
            if isinstance(target, str):
                members = [loc for loc in self.locations if loc.region == target]
                found += [loc for loc in members if loc not in found]
                result.understood.append(f"location: {target} ({len(members)} markets)")
            elif isinstance(target, MarketGroup):
                members = [loc for loc in self.locations if loc.code in target.codes]
                found += [loc for loc in members if loc not in found]
                result.understood.append(_group_understood(target, members))
            elif target not in found:
                found.append(target)
                result.named_locations.append(target)
                result.understood.append(f"location: {target.name}")
        everywhere = r"\b(global|globally|worldwide|world|all markets|every market|internationally)\b"
        if re.search(everywhere, text):
            text = re.sub(everywhere, " ", text)
            result.understood.append("location: all markets")
            found = list(self.locations)
        return text, found

    def _places(self, text: str, reading: Reading) -> str:
        """Countries and territories no dataset here surveys, and places inside a market ("Bavaria",
        "NYC"): kept, so the answer says what it covers instead (a place inside a surveyed market
        names that market)."""
        found: list[tuple[int, Place]] = []
        for phrase, place in self.places.items():
            if phrase not in text or not (match := re.search(r"\b" + re.escape(phrase) + r"\b", text)):
                continue
            text = text[: match.start()] + " " + text[match.end() :]  # keeps the order of what is left
            if all(place != p for _, p in found):
                found.append((match.start(), place))
        for _, place in sorted(found, key=lambda found: found[0]):  # in the prompt's order
            market = self.market_of.get(place.country) if place.inside else None
            if market is not None and market not in reading.locations:
                reading.locations.append(market)
                reading.named_locations.append(market)
            reading.places.append(place)
            where = f"{place.name}, in {place.country_name}" if place.inside else place.name
            reading.understood.append(f"location: {where} (not surveyed as such)")
        return text

    def _markets(self, reading: Reading, spec: DatasetSpec, result: Understanding) -> list[tuple[Question, Datapoint]]:
        """The named markets `spec` surveys. Named markets it does not survey, beside ones it does, and
        places inside a market are said (`instead`); when it surveys none of them, nothing is answered
        (`outside`), never every market instead. A place inside a market that is an answer of one of
        its questions ("the Midwest", a US region) is that answer's audience, returned."""
        result.mentioned_locations = list(reading.locations)
        result.locations = [loc for loc in reading.locations if loc in spec.locations]
        result.named_locations = [loc for loc in reading.named_locations if loc in spec.locations]
        missing = [(loc.name, loc.region) for loc in reading.named_locations if loc not in spec.locations]
        inside, answers = [], []
        for place in reading.places:
            market = self.market_of.get(place.country)
            answer = _answer_named(spec, place.name) if place.inside and market in spec.locations else None
            if answer is not None:
                answers.append(answer)
                result.understood.append(f"audience: {answer[1].name} ({answer[0].name})")
            elif place.inside and market in spec.locations:
                inside.append(place.name)
            else:
                missing.append((place.country_name, place.region))
        names = list(dict.fromkeys(name for name, _ in missing))
        if (reading.locations or reading.places) and not result.locations:
            regions = {region for _, region in missing} or {loc.region for loc in reading.locations}
            nearby = [loc.name for loc in spec.locations if loc.region in regions][:6]
            said = _and(names) if names else "any of the markets named"
            also = f" (surveyed nearby: {', '.join(nearby)})" if nearby else ""
            result.outside.append(f"{spec.name} does not survey {said}{also}.")
            return answers
        if names:
            result.instead.append(f"{spec.name} does not survey {_and(names)}")
        if inside:
            result.instead.append(
                f"{spec.name} records each market as a whole, not where in it people live (asked: {_and(inside)})"
            )
        return answers
