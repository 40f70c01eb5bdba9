"""Secrets shown a single time, right after they are made: personal access tokens, SCIM tokens, OAuth
client secrets (pages and API answers alike). Spark Portal keeps only a digest of each, so the answer that
carries one is the only place it ever appears.

- `no_store(response)`: the answer carrying the secret is never kept by a browser or a proxy.
- `ShownOnce(session_key)`: for pages, POST → redirect → GET. The POST leaves the secret in the
  session under its row's ID (`keep`); the GET takes it out (`take`) and shows it; reloading finds
  nothing and says it was already shown (creating nothing). Secrets of several tabs wait side by
  side; going back to the list drops any whose page was never opened (`forget`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar

from django.contrib.sessions.backends.base import SessionBase
from django.http import HttpResponse

Response = TypeVar("Response", bound=HttpResponse)


def no_store(response: Response) -> Response:
    """The answer carries a secret shown once: no cache may keep it."""
    response["Cache-Control"] = "no-store"
    return response


@dataclass(frozen=True)
class ShownOnce:
    session_key: str

    def keep(self, session: SessionBase, row_id: int, shown: dict[str, Any]) -> None:
        """Leave `shown` (the secret and whatever its page says with it) for the page of row `row_id`."""
        pending = session.get(self.session_key)
        pending = pending if isinstance(pending, dict) else {}  # another tab's secret still waits for its page
        pending[str(row_id)] = shown
        session[self.session_key] = pending

    def take(self, session: SessionBase, row_id: int) -> dict[str, Any] | None:
        """What `keep` left for row `row_id`, taken out of the session; None once it was shown."""
        pending = session.get(self.session_key)
        if not isinstance(pending, dict):
            return None
        shown = pending.pop(str(row_id), None)
        if pending:
            session[self.session_key] = pending
        else:
            del session[self.session_key]
        return shown if isinstance(shown, dict) else None

    def forget(self, session: SessionBase) -> None:
        """Drop every secret whose page was never opened."""
        session.pop(self.session_key, None)
