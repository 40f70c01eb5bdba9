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
        from oauth_server.models import ConnectedApp, ConnectorPublication, OrganizationClient

        watch(ConnectorPublication)
        watch(ConnectedApp, benign=("last_used_at", "last_used_address", "last_used_agent"))
        watch(OrganizationClient)
        watch(Application, on_insert=False)  # a new registration takes nothing away
        watch(AccessToken, on_insert=False)  # nor does a new token; changing or deleting one can
        _end_id_jag_tokens_with_their_connection()


def _end_id_jag_tokens_with_their_connection() -> None:
    """Tokens issued for identity assertion grants end when their IdP connection is turned off, stops
    allowing ID-JAGs, or is removed (the identity app's services know nothing of tokens)."""
    from django.db.models.signals import post_save, pre_delete

    from identity.models import IdentityConnection
    from oauth_server.services import id_jag_tokens_end

    def saved(sender: type, instance: IdentityConnection, **kwargs: object) -> None:
        if not instance.enabled:
            id_jag_tokens_end(connection=instance, why="the connection was turned off")
        elif not instance.id_jag_enabled:
            id_jag_tokens_end(connection=instance, why="identity assertion grants were turned off")

    def deleted(sender: type, instance: IdentityConnection, **kwargs: object) -> None:
        id_jag_tokens_end(connection=instance, why="the connection was removed")

    post_save.connect(saved, sender=IdentityConnection, weak=False, dispatch_uid="id_jag_tokens_saved")
    pre_delete.connect(deleted, sender=IdentityConnection, weak=False, dispatch_uid="id_jag_tokens_deleted")
