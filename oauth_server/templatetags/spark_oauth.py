"""Template tags for pages outside the authorization server that still need to know about it."""

from __future__ import annotations

from django import template

from oauth_server.selectors import Requester, authorize_requester

register = template.Library()


@register.simple_tag
def oauth_requester(next_url: str | None) -> Requester | None:
    """The assistant asking, when a sign-in page's `next` is an authorization request; else None."""
    return authorize_requester(next_url if isinstance(next_url, str) else None)
