"""The named kinds an answer is shaped by, from the prompt's reading to its phrasing."""

from __future__ import annotations

from typing import Literal

Dimension = Literal["audience", "location", "time"]
"""What the sides of a comparison or a breakdown differ by: their audience, their markets or their waves."""

Trend = Literal["", "trend", "fastest"]
""""trend": how something changed over the waves; "fastest": what grew most; "": neither."""

Breakdown = Literal["", "generation", "gender", "market", "region"]
"""One answer per group of the base: each generation, gender, market or region; "": none."""
