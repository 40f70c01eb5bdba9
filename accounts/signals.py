"""Bump the access epoch on every write that can take access away, including Django admin edits."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver

from accounts.models import (
    EmailDomain,
    Membership,
    Organization,
    PersonalAccessToken,
    User,
)
from accounts.services import access_epoch_bump
from catalog.models import Dataset

# Dataset is here because bearer checks cache the catalog rows a token may see.
_WATCHED = (User, Organization, EmailDomain, Membership, PersonalAccessToken, Dataset)


@receiver(post_save)
@receiver(post_delete)
def _bump_on_change(sender: type, update_fields: Any = None, **kwargs: Any) -> None:
    if sender not in _WATCHED:
        return
    if sender is User and update_fields is not None and set(update_fields) <= {"last_login"}:
        return  # signing in changes nothing about access
    access_epoch_bump()


@receiver(m2m_changed, sender=Organization.datasets.through)
def _bump_on_datasets(action: str, **kwargs: Any) -> None:
    if action in {"post_add", "post_remove", "post_clear"}:
        access_epoch_bump()
