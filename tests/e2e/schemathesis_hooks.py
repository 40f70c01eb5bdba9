"""Schemathesis hooks for tests/e2e/test_api_schemathesis.py (loaded through SCHEMATHESIS_HOOKS).

The run must not cut the branch it sits on: revoking or rotating the very token it calls with,
removing or demoting its own person, turning off or removing the email domain its person signs in
with, ending the organization's access, or turning personal access tokens off would make every
later answer a 401 and the rest of the run meaningless (the unit tests cover those paths). Every
other ID and value is fair game."""

from __future__ import annotations

import os
from typing import Any

import schemathesis

OWN = {
    "token_id": os.environ["SPARK_SCHEMATHESIS_TOKEN_ID"],
    "user_id": os.environ["SPARK_SCHEMATHESIS_USER_ID"],
    "domain": os.environ["SPARK_SCHEMATHESIS_DOMAIN"],
}
ELSEWHERE = {"token_id": 999999, "user_id": 999999, "domain": "not-ours.example"}


@schemathesis.hook
def before_call(context: Any, case: Any, kwargs: dict[str, Any]) -> None:
    """Every call (generated, or followed from a link in the stateful phase) that would aim at the
        run's own token, person or domain is aimed at one that does not exist (a 404); ending access
        becomes restoring it (which changes nothing while it is active), and turning personal access
        tokens off leaves them on (a maximum lifetime cannot stop the run's token: it is minutes old), and a
    tokens' IP allow-list is never confirmed past the run's own address (so it is refused, 409)."""
    parameters = case.path_parameters or {}
    for name, value in OWN.items():
        if str(parameters.get(name, "")).lower() == value:
            parameters[name] = ELSEWHERE[name]
    if case.path.endswith("/access") and isinstance(case.body, dict) and case.body.get("status") == "ended":
        case.body["status"] = "restored"
    if (
        case.path.endswith("/policies")
        and isinstance(case.body, dict)
        and case.body.get("personal_tokens_allowed") is False
    ):
        case.body["personal_tokens_allowed"] = True
    if case.path.endswith("/policies") and isinstance(case.body, dict):
        # A tokens' allow-list leaving out the run's own address is refused unless confirmed: never confirm it.
        case.body.pop("own_address_outside_confirmed", None)


@schemathesis.hook
def filter_headers(context: Any, headers: dict[str, Any] | None) -> bool:
    """No generated If-Match: a random tag is refused with 412 by design (tests/api covers If-Match),
    and the fuzz should reach the change behind it."""
    return not headers or "If-Match" not in headers
