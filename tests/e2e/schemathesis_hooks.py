"""Schemathesis hooks for tests/e2e/test_api_schemathesis.py (loaded through SCHEMATHESIS_HOOKS).

The run must not cut the branch it sits on: revoking or rotating the very token it calls with, or
removing or demoting its own person, would make every later answer a 401 and the rest of the run
meaningless. Every other ID is fair game."""

from __future__ import annotations

import os
from typing import Any

import schemathesis

OWN = {
    "token_id": os.environ["SPARK_SCHEMATHESIS_TOKEN_ID"],
    "user_id": os.environ["SPARK_SCHEMATHESIS_USER_ID"],
}


@schemathesis.hook
def filter_path_parameters(context: Any, path_parameters: dict[str, Any]) -> bool:
    given = path_parameters or {}  # None for an operation without path parameters
    return all(str(given.get(name)) != value for name, value in OWN.items())
