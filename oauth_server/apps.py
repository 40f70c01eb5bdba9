from __future__ import annotations

from django.apps import AppConfig


class OAuthServerConfig(AppConfig):
    name = "oauth_server"
    # The label the app had when it was called `connectors`: its tables and migration history
    # keep that name, so existing databases need no rename.
    label = "connectors"
    verbose_name = "OAuth for assistants"

    def ready(self) -> None:
        # Late imports: models exist only once the app registry is ready.
        from oauth2_provider.models import AccessToken, Application

        from accounts.watch import watch
        from oauth_server.models import (
            AssistantPolicy,
            ClientApproval,
            ConnectedApp,
            ConnectorPublication,
            OrganizationClient,
        )

        watch(ConnectorPublication)
        watch(ConnectedApp, benign=("last_used_at", "last_used_address", "last_used_agent"))
        watch(OrganizationClient)
        watch(AssistantPolicy)
        watch(ClientApproval)
        watch(Application, on_insert=False)  # a new registration takes nothing away
        watch(AccessToken, on_insert=False)  # nor does a new token; changing or deleting one can
