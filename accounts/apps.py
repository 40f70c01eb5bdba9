from __future__ import annotations

from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "People and organizations"

    def ready(self) -> None:
        # Late imports: models exist only once the app registry is ready.
        from django.contrib.auth.signals import user_logged_in

        from accounts import mfa, watch  # noqa: F401 (mfa: its audit listeners connect on import)
        from accounts.models import EmailDomain, Membership, Organization, PersonalAccessToken, User
        from accounts.user_sessions import session_record
        from catalog.models import Dataset

        watch.watch(User, benign=("last_login",))  # signing in changes nothing about access
        watch.watch(Organization)  # with its datasets (many-to-many)
        watch.watch(EmailDomain)
        watch.watch(Membership)
        # Recording use (and warning of expiry) grants nothing.
        use = ("last_used_at", "last_used_address", "last_used_agent", "expiry_warned_at")
        watch.watch(PersonalAccessToken, benign=use, on_insert=False)
        watch.watch(Dataset)  # bearer checks cache the dataset rows a token may see
        user_logged_in.connect(session_record, dispatch_uid="accounts.user_sessions")  # whose session is whose
