"""Private APIs of libraries other than django-oauth-toolkit that Spark Portal relies on (docs/architecture.md,
"Private library APIs we rely on"; DOT's are in tests/oauth_server/test_dot_internals.py). An upgrade
that moves one fails here, by name, rather than in a sign-in or on the MCP endpoint."""

from __future__ import annotations

import inspect

from allauth.account.internal.flows import login, reauthentication
from allauth.mfa.stages import AuthenticateStage
from django.core.handlers.base import BaseHandler
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.postgresql.base import DatabaseWrapper
from django.http import HttpResponse
from django.http.response import HttpResponseBase


def test_allauths_second_factor_stage_still_decides_in_should_handle() -> None:
    # accounts.mfa.PasswordSignInAuthenticateStage overrides it; handle() must still ask it.
    assert callable(AuthenticateStage._should_handle)
    assert "self._should_handle(self.request)" in inspect.getsource(AuthenticateStage.handle)


def test_a_django_response_still_closes_what_is_in_its_resource_closers() -> None:
    assert HttpResponse()._resource_closers == []
    assert "for closer in self._resource_closers" in inspect.getsource(HttpResponseBase.close)


def test_djangos_own_handler_still_registers_the_request_closer_the_same_way() -> None:
    # spark_portal/wsgi.py does for the MCP path what BaseHandler.get_response does for every other path.
    assert "_resource_closers.append(request.close)" in inspect.getsource(BaseHandler.get_response)


def test_allauths_authentication_records_still_read_as_accounts_mfa_reads_them() -> None:
    # accounts.mfa records an invitation's new account (password_sign_in_record) and an enrolment
    # (totp_enrolled) through allauth's internal record_authentication, and reads the records'
    # "method" and "at" (fresh_password_sign_in); allauth's own "Confirm it's you" counts only records
    # marked "reauthenticated", which is why a fresh sign-in needs accounts.adapters' rule.
    assert list(inspect.signature(login.record_authentication).parameters)[:3] == ["request", "user", "method"]
    assert '"at": time.time()' in inspect.getsource(login.record_authentication)
    assert 'm.get("reauthenticated")' in inspect.getsource(reauthentication.did_recently_reauthenticate)


def test_djangos_health_check_still_asks_is_usable_once_per_request() -> None:
    # spark_portal/postgresql/base.py makes is_usable cheap; Django must still call it where the health
    # check happens (the first query of each request) and nowhere per statement.
    assert "if not self.is_usable():" in inspect.getsource(BaseDatabaseWrapper.close_if_health_check_failed)
    assert "self.close_if_health_check_failed()" in inspect.getsource(BaseDatabaseWrapper._cursor)
    assert 'cursor.execute("SELECT 1")' in inspect.getsource(DatabaseWrapper.is_usable)
