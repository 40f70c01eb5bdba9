"""Bump the access epoch on every OAuth-side change that can take access away."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from oauth2_provider.models import AccessToken, Application

from accounts.services import access_epoch_bump
from oauth_server.models import ConnectedApp, ConnectorPublication


@receiver(post_save, sender=ConnectorPublication)
@receiver(post_delete, sender=ConnectorPublication)
@receiver(post_save, sender=ConnectedApp)
@receiver(post_delete, sender=ConnectedApp)
@receiver(post_save, sender=Application)
@receiver(post_delete, sender=Application)
@receiver(post_delete, sender=AccessToken)
def _bump(sender: type, **kwargs: Any) -> None:
    access_epoch_bump()


@receiver(post_save, sender=AccessToken)
def _bump_on_token_change(sender: type, created: bool = False, **kwargs: Any) -> None:
    if not created:  # a new token cannot take access away; changing one (e.g. its scope) can
        access_epoch_bump()
