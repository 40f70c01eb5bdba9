"""django-allauth adapter: organizations add people; nobody signs themselves up."""

from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter
from django.http import HttpRequest

from spark_portal.client_address import client_address


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return False

    def get_client_ip(self, request: HttpRequest) -> str:
        """Rate limits key on the same address the audit trail records (trusted proxies honoured)."""
        return client_address(request) or super().get_client_ip(request)
