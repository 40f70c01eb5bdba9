"""The one "shown once" helper (accounts/shown_once.py) of token, SCIM token and client secrets."""

from __future__ import annotations

from django.contrib.sessions.backends.signed_cookies import SessionStore
from django.http import HttpResponse

from accounts.shown_once import ShownOnce, no_store

SECRETS = ShownOnce("test.secret")


def test_a_kept_secret_is_taken_once() -> None:
    session = SessionStore()
    SECRETS.keep(session, 7, {"secret": "s-7"})
    assert SECRETS.take(session, 7) == {"secret": "s-7"}
    assert SECRETS.take(session, 7) is None
    assert "test.secret" not in session


def test_secrets_of_two_tabs_wait_side_by_side() -> None:
    session = SessionStore()
    SECRETS.keep(session, 7, {"secret": "s-7"})
    SECRETS.keep(session, 8, {"secret": "s-8"})
    assert SECRETS.take(session, 8) == {"secret": "s-8"}
    assert SECRETS.take(session, 7) == {"secret": "s-7"}


def test_forget_drops_secrets_never_shown() -> None:
    session = SessionStore()
    SECRETS.keep(session, 7, {"secret": "s-7"})
    SECRETS.forget(session)
    assert SECRETS.take(session, 7) is None


def test_an_answer_carrying_a_secret_is_never_stored() -> None:
    assert no_store(HttpResponse("s-7"))["Cache-Control"] == "no-store"
