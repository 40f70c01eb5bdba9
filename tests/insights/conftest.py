from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _survey_data(survey_data: str) -> None:
    """Every insights test reads the session's survey data."""
