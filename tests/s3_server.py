"""An S3-compatible server for tests: moto in server mode on a free loopback port, in this process."""

from __future__ import annotations

import contextlib
import logging
import urllib.request
from collections.abc import Iterator

from moto.server import ThreadedMotoServer

# Any key signs requests to moto; the shared store reads them from the environment, as from AWS.
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "spark-test", "AWS_SECRET_ACCESS_KEY": "spark-test-secret"}
REGION = "us-east-1"


@contextlib.contextmanager
def s3_bucket(bucket: str = "spark-data") -> Iterator[str]:
    """A moto S3 server with one empty bucket; yields its endpoint URL (http://127.0.0.1:<port>)."""
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # not a line per request
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        with urllib.request.urlopen(urllib.request.Request(f"{endpoint}/{bucket}", method="PUT"), timeout=10):
            pass
        yield endpoint
    finally:
        server.stop()
