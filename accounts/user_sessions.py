"""Whose sessions are whose: allauth.usersessions' `UserSession` rows, one per signed-in session, so a
person's sessions are found by a query, not by decoding every session in the database.

allauth records a row when someone signs in through its views; `session_record` (connected to
Django's `user_logged_in` in `AccountsConfig.ready`) records every sign-in, whichever way it came
(the same row when both do). Sessions from before the rows existed were recorded once, by migration
(accounts 0015). `sessions_end` ends them all, as when a person's access ends (SCIM deactivation).
allauth's own page listing them (/auth/sessions/) is not served.
"""

from __future__ import annotations

from typing import Any

from allauth.usersessions.adapter import get_adapter
from allauth.usersessions.models import UserSession
from django.http import HttpRequest

from accounts.models import User
from spark_portal.client_address import client_address

UNKNOWN_ADDRESS = "0.0.0.0"  # noqa: S104 (recorded, never bound)
"""The address recorded when a sign-in has none (a test client's, or a session recorded by migration)."""
USER_AGENT_LENGTH = 200


def session_record(sender: object, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    """Record the session a sign-in has just started (Django's `user_logged_in`)."""
    session = getattr(request, "session", None)
    if request is None or session is None or not isinstance(user, User):
        return
    if not session.session_key:
        session.save()
    UserSession.objects.update_or_create(
        session_key=session.session_key,
        defaults={
            "user": user,
            "ip": client_address(request) or UNKNOWN_ADDRESS,
            "user_agent": request.META.get("HTTP_USER_AGENT", "")[:USER_AGENT_LENGTH],
        },
    )


def sessions_end(user: User) -> int:
    """Delete every live session of the person (they are signed out on their next request); how many."""
    live = UserSession.objects.purge_and_list(user)  # rows of sessions already gone are dropped
    get_adapter().end_sessions(live)
    return len(live)
