"""A SIEM's webhook receiver on 127.0.0.1 for the audit stream tests: checks every delivery's signature
(and its timestamp), keeps each event once by its ID, and can be told to fail: answer 500, or take the
event and then close the connection without answering (Spark Portal cannot know it arrived)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from audit.streams import EVENT_ID_HEADER, SIGNATURE_HEADER, signature_valid


@dataclass
class Receiver:
    secret: str = ""
    mode: str = "ok"
    """ok; fail (500, nothing kept); lose (kept, then the connection closed before any answer)."""
    url: str = ""
    events: dict[str, dict[str, Any]] = field(default_factory=dict)
    """What the receiver took, by event ID (once each)."""
    requests: list[str] = field(default_factory=list)
    """Every delivery's event ID, in arrival order (duplicates too)."""
    duplicates: int = 0
    bad_signatures: int = 0


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            signed = signature_valid(receiver.secret, self.headers.get(SIGNATURE_HEADER, ""), body, time.time())
            payload = json.loads(body)
            if not signed or payload["id"] != self.headers.get(EVENT_ID_HEADER):
                receiver.bad_signatures += 1
                return self._answer(401)
            receiver.requests.append(payload["id"])
            if receiver.mode == "fail":
                return self._answer(500)
            if payload["id"] in receiver.events:
                receiver.duplicates += 1
            receiver.events.setdefault(payload["id"], payload)
            if receiver.mode == "lose":
                self.close_connection = True
                self.connection.close()
                return None
            return self._answer(204)

        def _answer(self, status: int) -> None:
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

    return Handler


@contextmanager
def running(secret: str = "") -> Iterator[Receiver]:
    receiver = Receiver(secret=secret)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(receiver))
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/siem/spark"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
