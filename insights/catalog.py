"""The dataset catalog shipped with the product; `seed_demo` loads it."""

from __future__ import annotations

CATALOG: tuple[dict[str, str], ...] = (
    {
        "code": "ds-core",
        "name": "Core global survey",
        "description": (
            "Quarterly survey of internet users aged 16-64 in 50+ markets: media use, "
            "social platforms, brand attitudes, purchase journeys and lifestyle."
        ),
    },
    {
        "code": "ds-usa-deep",
        "name": "USA deep-dive",
        "description": (
            "Monthly single-country survey of US adults with deeper coverage of streaming, "
            "retail, finance and health behaviours."
        ),
    },
    {
        "code": "ds-gaming",
        "name": "Gaming panel",
        "description": "Gamers in 20 markets: platforms, genres, spending and esports engagement.",
    },
)
