from __future__ import annotations

from django.apps import AppConfig


class IdentityConfig(AppConfig):
    name = "identity"
    verbose_name = "Enterprise identity (SSO)"

    def ready(self) -> None:
        # Late imports: the adapter imports models, which exist only once the app registry is ready.
        from allauth.account.signals import user_logged_in

        from identity.adapters import on_signed_in

        user_logged_in.connect(on_signed_in, dispatch_uid="spark-sso-asserted-by")
