"""django-allauth adapter: organizations add people; nobody signs themselves up."""

from __future__ import annotations

import logging
import smtplib
from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from django.http import HttpRequest

from spark_portal.client_address import client_address

logger = logging.getLogger(__name__)


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return False

    def send_mail(self, template_prefix: str, email: str, context: dict[str, Any]) -> None:
        """A mail server that is down is logged (never the message: it may hold a reset link), and
        the person sees the same page as when mail goes out, instead of a server error."""
        try:
            super().send_mail(template_prefix, email, context)
        except (OSError, smtplib.SMTPException) as exc:
            logger.error("could not send %s mail: %s", template_prefix.rsplit("/", 1)[-1], exc.__class__.__name__)

    def get_client_ip(self, request: HttpRequest) -> str:
        """Rate limits key on the same address the audit trail records (trusted proxies honoured)."""
        return client_address(request) or super().get_client_ip(request)
