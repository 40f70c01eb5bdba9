from __future__ import annotations

from django.apps import AppConfig


class OrgAdminConfig(AppConfig):
    name = "orgadmin"
    verbose_name = "Organization admin console"
