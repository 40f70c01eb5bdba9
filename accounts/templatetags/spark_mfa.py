"""Template helpers for the two-factor pages: `{% mfa_state as mfa %}` (enabled, required by
which organizations, where to continue after enrolling) and `{{ codes|codes_download }}` (a
data: URL for the recovery codes' Download link, so no page ever serves them a second time)."""

from __future__ import annotations

import base64
from collections.abc import Iterable
from typing import Any

from django import template

from accounts.mfa import MFAState, mfa_state

register = template.Library()


@register.simple_tag(takes_context=True, name="mfa_state")
def mfa_state_tag(context: dict[str, Any]) -> MFAState:
    return mfa_state(context["request"])


@register.filter
def codes_download(codes: Iterable[str]) -> str:
    text = "Spark Portal recovery codes (each works once)\n\n" + "".join(f"{code}\n" for code in codes)
    return "data:text/plain;charset=utf-8;base64," + base64.b64encode(text.encode()).decode("ascii")
