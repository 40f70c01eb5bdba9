"""Request types for views behind a login."""

from __future__ import annotations

from django.http import HttpRequest

from accounts.models import User


class AuthenticatedRequest(HttpRequest):
    """The request a `login_required` view receives: its user is signed in, never anonymous."""

    user: User
