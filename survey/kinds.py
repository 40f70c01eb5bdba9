"""The named kinds an answer is shaped by, from the prompt's reading to its phrasing."""

from __future__ import annotations

from typing import Literal

Dimension = Literal["audience", "location", "time"]
"""What the sides of a comparison or a breakdown differ by: their audience, their markets or their waves."""

Trend = Literal["", "trend", "fastest"]
""""trend": how something changed over the waves; "fastest": what grew most; "": neither."""

Breakdown = Literal["", "generation", "gender", "market", "region"]
"""One answer per group of the base: each generation, gender, market or region; "": none."""

AudiencePart = Literal["gender", "age", "other"]
"""What a part of an audience is about: a gender, an age (a generation or an age range), or anything else;
a follow-up that names one replaces the chat's part about the same."""

InsightKind = Literal["percentage", "index"]
"""What an insight states: a share of the audience, or how much more (or less) likely it is than average."""
