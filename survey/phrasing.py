"""Insight sentences in plain English, in the style the product's users know.

    "46% of people aged 25-34 in Germany use social media while watching TV"
    "Gen Z in Germany are 67% more likely than the average person to use TikTok weekly"

Datapoint phrases are written in base-verb form ("use TikTok weekly") so one phrase serves both.
"""

from __future__ import annotations

from survey.catalog import DatasetSpec, Location, Wave
from survey.engine import Metrics

_WITH_ARTICLE = {"United Kingdom", "United States", "Netherlands"}


def place(location: Location) -> str:
    return f"the {location.name}" if location.name in _WITH_ARTICLE else location.name


def location_phrase(spec: DatasetSpec, locations: list[Location]) -> str:
    if len(locations) == 1:
        return place(locations[0])
    if set(locations) == set(spec.locations):
        return f"the {len(locations)} markets surveyed"
    regions = {loc.region for loc in locations}
    if len(regions) == 1:
        region = regions.pop()
        if set(locations) == {loc for loc in spec.locations if loc.region == region}:
            return region
    names = [place(loc) for loc in locations]
    return ", ".join(names[:-1]) + " and " + names[-1]


def wave_phrase(waves: list[Wave]) -> str:
    if len(waves) == 1:
        return waves[0].name
    years = {w.year for w in waves}
    if len(years) == 1 and len(waves) == 4:
        return str(years.pop())
    return f"{waves[0].name} to {waves[-1].name}"


def infinitive(phrase: str) -> str:
    """'are interested in gaming' → 'be interested in gaming' (phrases are otherwise base-verb form)."""
    return "be " + phrase[4:] if phrase.startswith("are ") else phrase


def subject(label: str) -> str:
    """The audience label starting a sentence."""
    return (label[0].upper() + label[1:]) if label else "People"


def object_(label: str) -> str:
    """The label mid-sentence: 'Eco-conscious consumers' → 'eco-conscious consumers'; 'Gen Z' stays."""
    if not label:
        return "people"
    if label.startswith(("Gen ", "Baby ")) or label[:2].isupper():
        return label
    return label[0].lower() + label[1:]


def percentage_sentence(label: str, where: str, phrase: str, m: Metrics) -> str:
    return f"{m.audience_percentage:.0f}% of {object_(label)} in {where} {phrase}"


def index_sentence(label: str, where: str, phrase: str, m: Metrics) -> str:
    index = m.audience_index or 0.0
    direction = "more" if index >= 100 else "less"
    return (
        f"{subject(label)} in {where} are {abs(index - 100):.0f}% {direction} likely than the average person "
        f"to {infinitive(phrase)}"
    )


def sentence(kind: str, label: str, where: str, phrase: str, m: Metrics) -> str:
    """The insight sentence of `kind` ("percentage" or "index"), flagged when its sample is small.
    With nobody in the audience there is no share to state; with nobody in the base giving the
    answer there is no index, and the share is stated instead."""
    if m.audience_percentage is None:
        return f"No respondents of {object_(label)} in {where}: there is no share to state"
    build = index_sentence if kind == "index" and m.audience_index is not None else percentage_sentence
    text = build(label, where, phrase, m)
    if m.low_confidence:
        text += f" (low sample: {m.positive_sample} respondents; treat as indicative)"
    return text


def quoted(words: list[str]) -> str:
    """Words as the prompt said them, each in quotation marks: “yacht”, “brands”."""
    return ", ".join(f"“{w}”" for w in words)
