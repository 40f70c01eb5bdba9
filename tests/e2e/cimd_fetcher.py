"""Test-only transport for client ID metadata documents.

A client ID metadata document lives at an https URL on a public host, which a loopback-only
test machine cannot serve. The e2e server is started with this fetcher: it keeps the product's
policy (`PolicyMetadataFetcher`: platform redirect URIs, DOT's document checks) and replaces only
the transport, mapping https://cimd.spark.test/<path> to a loopback server the test runs.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import urlsplit

from oauth2_provider.cimd import CIMDError

from oauth_server.client_metadata import PolicyMetadataFetcher

TEST_HOST = "cimd.spark.test"


class LoopbackFetcher(PolicyMetadataFetcher):
    def fetch_document(self, client_id: str) -> tuple[dict[str, Any], int]:
        parts = urlsplit(client_id)
        if parts.scheme != "https" or parts.hostname != TEST_HOST:
            raise CIMDError("the test fetcher serves only https://cimd.spark.test/ documents")
        port = int(os.environ["SPARK_TEST_CIMD_PORT"])
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{parts.path}", timeout=5) as response:
                return json.loads(response.read()), 300
        except urllib.error.HTTPError as error:  # as DOT's transport says it
            raise CIMDError(f"client_id document returned HTTP {error.code}") from None
