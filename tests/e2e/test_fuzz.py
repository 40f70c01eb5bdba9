"""Fuzzing the real server: Hypothesis-generated hostile requests, over HTTP, against gunicorn.

The MCP endpoints get broken and valid-looking JSON-RPC (ids of every JSON type, huge numbers,
lone surrogates, nesting past the parser's limits, bytes that are not UTF-8, unknown methods,
every tool with arguments of every wrong type) under every kind of header; the OAuth endpoints
get generated registration metadata (RFC 7591 POST, RFC 7592 PUT), token and revocation
requests, and authorization requests (signed in and not). The management API (every operation
of its schema, with an org:admin token) and SCIM (Users created, replaced, patched, listed,
filtered, paged and searched, with a SCIM token) get the same: plausible bodies with fields of
every wrong type, lone surrogates and NULs, nesting past the parser's limit, odd path IDs and
query values, under every kind of header. Every answer must be below 500 and shaped as the
endpoint promises (JSON-RPC, an OAuth error object, an RFC 9457 problem, a SCIM error), and the
server log must stay free of tracebacks.

Each run is seeded; the seed is printed with the command that replays the run:
    SPARK_FUZZ_SEED=<n> pytest tests/e2e/test_fuzz.py
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import os
import random
import re
import secrets
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode

import httpx2
import pytest
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st
from mcp.shared.inbound import encode_header_value
from mcp_types import CLIENT_CAPABILITIES_META_KEY, PROTOCOL_VERSION_META_KEY

from tests.e2e.conftest import DEMO_PASSWORD, LiveServer
from tests.e2e.oauth_browser import Browser

pytestmark = pytest.mark.e2e
logging.getLogger("httpx2").setLevel(logging.WARNING)  # one INFO line per request otherwise

SEED = int(os.environ.get("SPARK_FUZZ_SEED") or secrets.randbits(32))
# Generated requests per area: 2,000 or more for MCP and OAuth, 3,000 or more for the management API and SCIM.
EXAMPLES = {"mcp": 1_100, "register": 350, "token": 300, "authorize": 250, "api": 1_600, "scim": 1_500}
CALLBACK = "http://127.0.0.1:33419/callback"
LOG_ALARMS = ("Traceback", "Internal Server Error", "WORKER TIMEOUT", "[CRITICAL]")


def fuzz_settings(area: str) -> settings:
    return settings(
        max_examples=EXAMPLES[area],
        derandomize=False,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )


def chance(rng: random.Random, percent: int) -> bool:
    """How often a shot takes an unusual turn. A Random drawn once per shot keeps these odds as set:
    Hypothesis' own choices lean towards their simplest values and repeat earlier ones."""
    return rng.random() * 100 < percent


# -- values of every JSON type, and the odd ones ---------------------------------------------------
SURROGATES = st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF, exclude_categories=())
ANY_CHAR = st.characters(exclude_categories=())  # surrogates and control characters included
HUGE_INTS = st.sampled_from([2**31, 2**53 + 1, 2**63, 2**64, -(2**63) - 1, 10**100, -(10**300)])


def long_text(alphabet: st.SearchStrategy[str] = ANY_CHAR, most: int = 5_000) -> st.SearchStrategy[str]:
    """Long strings built by repetition (Hypothesis' own buffer stays small)."""
    return st.builds(lambda s, n: s * n, st.text(alphabet, min_size=1, max_size=4), st.integers(1, most))


ODD_TEXT = st.one_of(
    st.text(max_size=30),
    st.text(ANY_CHAR, max_size=30),
    st.text(SURROGATES, min_size=1, max_size=3),
    long_text(),
    st.sampled_from(["", " ", "\x00", "\u202e", "null", "[]", "{}", "%00", "../../etc/passwd", "' OR 1=1 --"]),
)
# Short enough for a URL: gunicorn refuses request lines over 4 KB with its own 414.
QUERY_TEXT = st.one_of(
    st.text(max_size=20),
    st.text(ANY_CHAR, max_size=6),
    st.text(SURROGATES, min_size=1, max_size=3),
    st.sampled_from(["", " ", "\x00", "\u202e", "null", "%00", "../../etc/passwd", "' OR 1=1 --"]),
)
JSON_SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), HUGE_INTS, st.floats(), ODD_TEXT)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(ANY_CHAR, max_size=8), inner, max_size=4),
    max_leaves=8,
)


def nested(kind: str, depth: int, core: str = "1") -> str:
    """`depth` levels of arrays or objects around `core`, as raw JSON text (no Python recursion)."""
    if kind == "array":
        return "[" * depth + core + "]" * depth
    return '{"a":' * depth + core + "}" * depth


# Around the interpreter's recursion limit (1,000) is where parsers and encoders part ways.
DEPTHS = st.one_of(st.integers(0, 50), st.integers(900, 1_100), st.sampled_from([5_000, 100_000]))
DEEP = st.builds(nested, st.sampled_from(["array", "object"]), DEPTHS)
# Header values h11 will send: printable ASCII and Latin-1 high bytes, no line breaks, no edge spaces.
HEADER_BYTES = st.binary(max_size=80).map(
    lambda b: bytes(c if c in (9, 32) or 33 <= c <= 126 or c >= 128 else 63 for c in b).strip(b" \t")
)
BAD_QUERIES = ["%ff%fe=%ed%a0%80", "a=%zz", "a=%", "resource=%4", "client_id", "=&=&", "scope=%00", "a=%E2%82"]


@dataclass
class Shot:
    """One request to send; `area` picks the checks its answer must pass."""

    area: str
    method: str
    path: str
    headers: dict[str, str | bytes] = field(default_factory=dict)
    body: bytes | None = None
    chunked: bool = False
    session: bool = False  # as the signed-in demo member


@dataclass(repr=False)
class Secrets:
    """What the fuzz setup obtained from the server, for generated requests to use."""

    pat: str
    oauth_access: str
    public: dict[str, Any]
    confidential: dict[str, Any]
    managed: list[dict[str, Any]]  # registrations the RFC 7592 fuzz may change
    code: str
    verifier: str
    refresh: str
    insight_id: str
    chat_id: str
    mcp_url: str
    fuzz_org: FuzzOrg

    def __repr__(self) -> str:
        return "Secrets(...)"  # strategies built on these print them with every failing example


# -- MCP requests ----------------------------------------------------------------------------------
PROTOCOL_VERSIONS = ["2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25", "2026-07-28"]
MODERN = "2026-07-28"
METHODS = [
    "initialize",
    "ping",
    "tools/list",
    "tools/call",
    "server/discover",
    "logging/setLevel",
    "notifications/initialized",
    "notifications/cancelled",
    "resources/list",
    "resources/read",
    "prompts/list",
    "prompts/get",
    "completion/complete",
    "sampling/createMessage",
    "roots/list",
    "tasks/get",
    "../tools/call",
    "TOOLS/CALL",
]
TOOL_NAMES = ["chat_gwi", "explore_insight_gwi", "list_datasets", "search_survey", "query_survey", "search", "fetch"]
ARGUMENT_NAMES = [
    "prompt", "chat_id", "docked_audiences", "insight_id", "query", "id", "dataset", "question", "answers",
    "audience", "markets", "waves", "compare", "trend", "breakdown", "kind", "limit",
]  # fmt: skip
PROMPTS = [
    "Which social platforms do Gen Z in Germany use weekly?",
    "TikTok in the UK last year",
    "eco-conscious women aged 25-34 in Europe",
    "and in France?",
    "streaming USA",
    "x",
]


TOOL_ARGUMENTS = {
    "chat_gwi": ["prompt", "chat_id", "docked_audiences"],
    "explore_insight_gwi": ["insight_id"],
    "list_datasets": [],
    "search_survey": ["query", "dataset", "kind", "limit"],
    "query_survey": ["dataset", "question", "answers", "audience", "markets", "waves", "compare", "trend", "breakdown"],
    "search": ["query"],
    "fetch": ["id"],
}


def tool_arguments(s: Secrets, tool: Any) -> st.SearchStrategy[Any]:
    """Arguments for `tool`: mostly its own names with plausible values (real IDs, prompts, IDs with a
    NUL or a lone surrogate), sometimes other names, and values of every wrong type."""
    ids = [s.insight_id, s.chat_id, s.insight_id + "0", "ds-core", "ds-gaming", "aud_1", "ins_\x00", "chat_\x00"]
    plausible = st.one_of(
        st.sampled_from(PROMPTS),
        st.builds(lambda p, t: p + " " + t, st.sampled_from(PROMPTS), ODD_TEXT),
        st.sampled_from(ids),
        st.builds(lambda p, t: p + t, st.sampled_from([s.insight_id, s.chat_id, "ins_", "aud_", "ds-"]), ODD_TEXT),
        st.lists(st.sampled_from(["aud_1", "aud_x", "aud_\x00"]) | ODD_TEXT, max_size=7),
    )
    own = TOOL_ARGUMENTS.get(tool, []) if isinstance(tool, str) else []
    names = st.sampled_from(own) if own else st.sampled_from(ARGUMENT_NAMES)
    return st.sampled_from(["wrong", "mixed", "own", "own", "own"]).flatmap(
        lambda kind: {
            "wrong": JSON_VALUES,  # not an object at all, or one with odd keys
            "mixed": st.dictionaries(
                st.sampled_from(ARGUMENT_NAMES) | st.text(ANY_CHAR, max_size=10), plausible | JSON_VALUES, max_size=4
            ),
            "own": st.dictionaries(names, plausible, max_size=3),
        }[kind]
    )


META = st.fixed_dictionaries(
    {},
    optional={
        "io.modelcontextprotocol/protocolVersion": st.sampled_from(PROTOCOL_VERSIONS) | JSON_VALUES,
        "progressToken": JSON_VALUES,
        "io.modelcontextprotocol/clientInfo": JSON_VALUES,
    },
)
PARAMS = st.one_of(
    JSON_VALUES,
    st.fixed_dictionaries(
        {},
        optional={
            "protocolVersion": st.sampled_from(PROTOCOL_VERSIONS) | JSON_VALUES,
            "capabilities": JSON_VALUES,
            "clientInfo": st.fixed_dictionaries({"name": ODD_TEXT, "version": JSON_VALUES}) | JSON_VALUES,
            "level": st.sampled_from(["debug", "info", "emergency"]) | JSON_VALUES,
            "cursor": JSON_VALUES,
            "_meta": META | JSON_VALUES,
        },
    ),
)
IDS = st.one_of(st.integers(), HUGE_INTS, st.floats(), st.booleans(), st.none(), ODD_TEXT, JSON_VALUES)


@st.composite
def envelopes(draw: st.DrawFn, s: Secrets, tools: list[str]) -> dict[str, Any]:
    """A JSON-RPC message, mostly well-formed, every field sometimes wrong or missing."""
    rng = draw(st.randoms(use_true_random=True))
    jsonrpc = "2.0" if chance(rng, 92) else draw(st.sampled_from(["1.0", "", 2.0, None]) | JSON_VALUES)
    message: dict[str, Any] = {"jsonrpc": jsonrpc}
    if chance(rng, 50):
        message["method"] = "tools/call"
        name = draw(st.sampled_from(tools if chance(rng, 85) else TOOL_NAMES))
        if chance(rng, 10):
            name = draw(ODD_TEXT | JSON_VALUES)
        params = {"name": name, "arguments": draw(tool_arguments(s, name))}
        message["params"] = params
    else:
        message["method"] = draw(st.sampled_from(METHODS)) if chance(rng, 70) else draw(ODD_TEXT | JSON_VALUES)
        if chance(rng, 50):
            message["params"] = draw(PARAMS)
    if chance(rng, 92):
        message["id"] = draw(st.integers(0, 10**6)) if chance(rng, 60) else draw(IDS)
    if chance(rng, 10):
        for key in draw(st.lists(st.sampled_from(["jsonrpc", "method", "extra", "result", "error"]), max_size=2)):
            if key in {"extra", "result", "error"}:
                message[key] = draw(JSON_VALUES)
            else:
                message.pop(key, None)
    return message


def header_safe(value: Any) -> bool:
    """A value the routing headers can carry: a string short enough for gunicorn's header limits, UTF-8 able."""
    return isinstance(value, str) and len(value) < 500 and not any(0xD800 <= ord(c) <= 0xDFFF for c in value)


def modern(draw: st.DrawFn, rng: random.Random, message: dict[str, Any], headers: dict[str, str | bytes]) -> None:
    """Make a message a 2026-07-28 one: the `_meta` envelope and the routing headers, sometimes disagreeing."""
    params = message.setdefault("params", {})
    if not isinstance(params, dict):
        return
    meta = {PROTOCOL_VERSION_META_KEY: MODERN, CLIENT_CAPABILITIES_META_KEY: {}}
    if chance(rng, 20):
        meta[draw(st.sampled_from(list(meta)))] = draw(JSON_VALUES)
    params["_meta"] = meta
    headers["MCP-Protocol-Version"] = MODERN
    method, name = message.get("method"), params.get("name")
    if header_safe(method) and chance(rng, 90):
        headers["Mcp-Method"] = encode_header_value(method)
    if header_safe(name) and chance(rng, 90):
        garbled = "=?base64?" + base64.b64encode(name.encode("utf-8", "surrogatepass")).decode()[1:] + "?="
        headers["Mcp-Name"] = encode_header_value(name) if chance(rng, 90) else garbled


def encode(message: Any, ascii_only: bool) -> bytes:
    # Unescaped lone surrogates encode to bytes that are not UTF-8: one more way to send them.
    return json.dumps(message, ensure_ascii=ascii_only).encode("utf-8", "surrogatepass")


RAW_CORES = [
    "null",
    "1" * 5_000,  # past Python's int-from-string digit limit
    "1e999999",
    "-0",
    "NaN",
    "Infinity",
    '"\\ud800"',
    '"\\udfff\\ud800"',
    '"\\u0000"',
    "{}",
    "[]",
]


@st.composite
def raw_bodies(draw: st.DrawFn) -> bytes:
    """Bodies built as text: deep nesting and odd literals in every slot, broken JSON, non-UTF-8 bytes."""
    core = draw(DEEP | st.sampled_from(RAW_CORES))
    head = '{"jsonrpc":"2.0",'
    call = head + '"id":1,"method":"tools/call","params":{"name":"chat_gwi","arguments":'
    text = draw(
        st.sampled_from(
            [
                head + f'"id":{core},"method":"ping"}}',
                head + f'"id":1,"method":"initialize","params":{core}}}',
                call + f"{core}}}}}",
                call + f'{{"prompt":{core}}}}}}}',
                head + f'"id":1,"method":{core}}}',
                core,
                f'[{head}"id":1,"method":"ping"}},{core}]',
            ]
        )
    )
    body = text.encode()
    mangle = draw(st.sampled_from(["none"] * 4 + ["truncate", "bytes", "utf16", "bom", "binary"]))
    if mangle == "truncate":
        body = body[: draw(st.integers(0, max(0, len(body) - 1)))]
    elif mangle == "bytes":
        at = draw(st.integers(0, len(body)))
        bad = draw(st.sampled_from([b"\xff", b"\xc3\x28", b"\xed\xa0\x80", b"\x00", b"\xf4\x90\x80\x80"]))
        body = body[:at] + bad + body[at:]
    elif mangle == "utf16":
        body = text.encode("utf-16")
    elif mangle == "bom":
        body = b"\xef\xbb\xbf" + body
    elif mangle == "binary":
        body = draw(st.binary(max_size=200))
    return body


CONTENT_TYPES = [
    "application/json",
    "application/json; charset=utf-8",
    "application/json; charset=latin-1",
    "application/json; charset=no-such-charset",
    "Application/JSON",
    "application/json-rpc",
    "text/plain",
    "text/event-stream",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=xyz",
    "multipart/form-data",
]
ACCEPTS = [
    "application/json, text/event-stream",
    "application/json",
    "*/*",
    "application/*",
    "text/event-stream",
    "text/html",
    "application/json;q=0",
    ",,,;;",
]


def odd_authorizations(s: Secrets) -> st.SearchStrategy[str | bytes | None]:
    pat = s.pat
    return st.one_of(
        st.sampled_from(
            [
                f"bearer {pat}",
                f"Bearer  {pat}",
                f"Bearer {pat} extra",
                f"Bearer {pat[:-1]}{'A' if pat[-1] != 'A' else 'B'}",  # checksum off by one character
                f"Bearer {pat[:20]}",
                f"Basic {pat}",
                f"Bearer {s.oauth_access}",  # issued for /mcp, expired after 8 s
                f"Bearer {s.public['registration_access_token']}",  # a DCR token is no MCP token
                "Bearer",
                "Bearer \t spk_",
                "Bearer spk_",
                "Bearer spk_" + "A" * 48,
                "Bearer " + "x" * 513,
                "Bearer " + "x" * 4_000,
            ]
        ),
        st.none(),
        HEADER_BYTES,
        HEADER_BYTES.map(lambda b: (b"Bearer " + b).strip()),
    )


@st.composite
def mcp_shots(draw: st.DrawFn, s: Secrets) -> Shot:
    rng = draw(st.randoms(use_true_random=True))
    path = draw(st.sampled_from(["/mcp"] * 4 + ["/openai/mcp"] * 2 + ["/v1/spark-api/mcp"]))
    method = "POST" if chance(rng, 92) else draw(st.sampled_from(["GET", "DELETE", "OPTIONS", "PUT", "PATCH"]))
    headers: dict[str, str | bytes] = {}
    if chance(rng, 75):
        message = draw(envelopes(s, TOOL_NAMES[3:] if path == "/openai/mcp" else TOOL_NAMES[:3]))
        if chance(rng, 20):
            modern(draw, rng, message, headers)
        body = encode(message, draw(st.booleans()))
    else:
        body = draw(raw_bodies())
    # Mostly the member's valid token, so most requests get past authentication.
    auth = f"Bearer {s.pat}" if chance(rng, 75) else draw(odd_authorizations(s))
    if auth is not None:
        headers["Authorization"] = auth
    headers["Content-Type"] = "application/json"
    if chance(rng, 12):
        headers["Content-Type"] = draw(st.sampled_from(CONTENT_TYPES) | HEADER_BYTES)
    if chance(rng, 5):
        del headers["Content-Type"]
    headers["Accept"] = "application/json, text/event-stream"
    if chance(rng, 12):
        headers["Accept"] = draw(st.sampled_from(ACCEPTS) | HEADER_BYTES)
    if chance(rng, 5):
        del headers["Accept"]
    if "MCP-Protocol-Version" in headers:
        pass
    elif chance(rng, 70):
        headers["MCP-Protocol-Version"] = draw(st.sampled_from(PROTOCOL_VERSIONS[3:] * 3 + PROTOCOL_VERSIONS))
    elif chance(rng, 50):
        headers["MCP-Protocol-Version"] = draw(st.sampled_from(["", "latest", "2025-13-45", "1"]) | HEADER_BYTES)
    if chance(rng, 10):
        for name in draw(st.lists(st.sampled_from(["Mcp-Method", "Mcp-Name", "Mcp-Session-Id", "Origin"]), max_size=2)):
            headers[name] = draw(st.sampled_from(["tools/call", "chat_gwi", "http://127.0.0.1", "null"]) | HEADER_BYTES)
    return Shot("mcp", method, path, headers, body, chunked=chance(rng, 3))


# -- OAuth: registration ---------------------------------------------------------------------------
REDIRECT_URIS = [
    CALLBACK,
    "http://127.0.0.1:8080/cb",
    "http://localhost/cb",
    "http://[::1]:9000/cb",
    "https://claude.ai/api/mcp/auth_callback",
    "https://chatgpt.com/connector_platform_oauth_redirect",
    "https://global.consent.azure-apim.net/redirect/x",
    "https://evil.example/cb",
    "http://[::1",
    "http://[not-an-ip]/cb",
    "http://127.0.0.1:99999/cb",
    "http://127.0.0.1:-1/cb",
    "http://127.0.0.1/cb#fragment",
    "http://127.0.0.1/cb\x00",
    "http://user:pw@127.0.0.1/cb",
    "http://127.0.0.1/a b",
    "javascript:alert(1)",
    "custom-scheme:/cb",
    "",
    " ",
]
URIS = st.one_of(
    st.sampled_from(REDIRECT_URIS),
    st.builds(lambda p, s: f"http://127.0.0.1:{p}/{quote(s)}", st.integers(1, 65_535), st.text(max_size=20)),
    st.builds(lambda s: "http://127.0.0.1/" + s, ODD_TEXT),
    ODD_TEXT,
)
GRANTS = ["authorization_code", "refresh_token", "client_credentials", "implicit", "password", "device_code"]
AUTH_METHODS = ["none", "client_secret_basic", "client_secret_post", "private_key_jwt", "tls_client_auth"]
# Every field a client may send, each with values that make sense (a wrong type is drawn separately).
METADATA_FIELDS: dict[str, st.SearchStrategy[Any]] = {
    "redirect_uris": st.lists(st.sampled_from(REDIRECT_URIS[:7]), min_size=1, max_size=2) | st.lists(URIS, max_size=12),
    "client_name": st.text(max_size=40) | long_text(most=300),
    "grant_types": st.lists(st.sampled_from(GRANTS), max_size=3) | st.sampled_from(GRANTS),
    "response_types": st.lists(st.sampled_from(["code", "token", "id_token"]), max_size=2) | st.just("code"),
    "token_endpoint_auth_method": st.sampled_from(AUTH_METHODS),
    "scope": st.sampled_from(["insights:read", "insights:read dataset:ds-core", ""]),
    "contacts": st.lists(st.emails(), max_size=3) | st.lists(ODD_TEXT, max_size=15),
    "logo_uri": URIS,
    "client_uri": URIS,
    "jwks": JSON_VALUES,
    "software_id": ODD_TEXT,
    "client_id": ODD_TEXT,
    "client_secret": ODD_TEXT,
}
# The fields django-oauth-toolkit itself reads, after this server's policy checks: changed most often.
DOT_READS = ["redirect_uris", "client_name", "grant_types", "token_endpoint_auth_method"]
VALID_METADATA = {"redirect_uris": [CALLBACK], "client_name": "fuzz", "token_endpoint_auth_method": "none"}


@st.composite
def metadata(draw: st.DrawFn) -> dict[str, Any]:
    """Registration metadata: a valid body with one to three fields changed, removed or of a wrong type."""
    rng = draw(st.randoms(use_true_random=True))
    data: dict[str, Any] = dict(VALID_METADATA)
    if chance(rng, 30):
        data = {k: draw(v) for k, v in METADATA_FIELDS.items() if chance(rng, 40)}
    for _ in range(rng.choice([1, 1, 2, 3])):  # which fields and how: even odds (rng), the values: Hypothesis
        name = rng.choice([*METADATA_FIELDS, "other", *DOT_READS * 3])
        key = draw(st.text(ANY_CHAR, max_size=12)) if name == "other" else name
        change = rng.choice(["plausible", "plausible", "wrong type", "scalar", "null", "remove"])
        if change == "remove":
            data.pop(key, None)
        elif change == "null":
            data[key] = None
        elif change == "scalar":
            data[key] = draw(st.booleans() | st.integers() | st.floats() | HUGE_INTS)
        elif change == "wrong type":
            data[key] = draw(JSON_VALUES)
        else:
            data[key] = draw(METADATA_FIELDS.get(key, JSON_VALUES))
    return data


@st.composite
def metadata_bodies(draw: st.DrawFn) -> tuple[bytes, dict[str, str | bytes]]:
    rng = draw(st.randoms(use_true_random=True))
    kind = rng.choice(["metadata"] * 7 + ["nested"] * 2 + ["raw"])
    if kind == "metadata":
        body = encode(draw(metadata()), draw(st.booleans()))
    elif kind == "nested":
        key = draw(st.sampled_from(["redirect_uris", "client_name", "grant_types", "contacts", "jwks"]))
        body = f'{{"redirect_uris":["{CALLBACK}"],"{key}":{draw(DEEP)}}}'.encode()
    else:
        huge = st.builds(lambda n: b'{"client_name":"' + b"n" * n + b'"}', st.integers(16_000, 17_000))
        body = draw(raw_bodies() | huge)
    headers: dict[str, str | bytes] = {"Content-Type": "application/json"}
    if chance(rng, 12):
        headers["Content-Type"] = draw(st.sampled_from(CONTENT_TYPES) | HEADER_BYTES)
    return body, headers


@st.composite
def registration_shots(draw: st.DrawFn, s: Secrets) -> Shot:
    rng = draw(st.randoms(use_true_random=True))
    body, headers = draw(metadata_bodies())
    query = "?" + draw(st.sampled_from(BAD_QUERIES)) if chance(rng, 5) else ""
    if chance(rng, 60):
        return Shot("register", "POST", f"/oauth/register/{query}", headers, body)
    client = draw(st.sampled_from(s.managed))
    client_id = client["client_id"] if chance(rng, 80) else draw(st.sampled_from(["nope", "x" * 300, "%2F..%2F"]))
    token = client["registration_access_token"] if chance(rng, 80) else draw(st.sampled_from([s.pat, "garbage"]))
    if chance(rng, 90):
        headers["Authorization"] = f"Bearer {token}" if chance(rng, 90) else draw(HEADER_BYTES)
    method = "PUT" if chance(rng, 90) else draw(st.sampled_from(["GET", "POST", "PATCH"]))
    return Shot("register", method, f"/oauth/register/{quote(client_id, safe='%')}/{query}", headers, body)


# -- OAuth: token and revocation -------------------------------------------------------------------
DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
TOKEN_GRANTS = [
    "authorization_code",
    "refresh_token",
    "client_credentials",
    "password",
    "implicit",
    "",
    DEVICE_GRANT,
    "urn:ietf:params:oauth:grant-type:token-exchange",
]


COMPLETE_TOKEN_REQUESTS = {
    "authorization_code": ["grant_type", "code", "code_verifier", "redirect_uri", "client_id", "resource"],
    "refresh_token": ["grant_type", "refresh_token", "client_id", "resource"],
    "revocation": ["token", "token_type_hint", "client_id"],
}


def token_fields(s: Secrets, client: dict[str, Any]) -> dict[str, st.SearchStrategy[str]]:
    return {
        "grant_type": st.sampled_from(TOKEN_GRANTS),
        "code": st.sampled_from([s.code, "x" * 30, s.code + "\x00"]),
        "code_verifier": st.sampled_from([s.verifier, "a" * 43, "a" * 129, "short"]),
        "redirect_uri": st.sampled_from([CALLBACK, *REDIRECT_URIS[1:8]]),
        "client_id": st.sampled_from([client["client_id"], "nope", "x\x00", "https://claude.ai/client.json"]),
        "client_secret": st.sampled_from([client.get("client_secret") or "", "wrong"]),
        "refresh_token": st.sampled_from([s.refresh, "x" * 30]),
        "token": st.sampled_from([s.refresh, s.oauth_access, "x" * 30]),
        "token_type_hint": st.sampled_from(["access_token", "refresh_token", "id_token"]),
        "device_code": st.text(max_size=20),
        "resource": st.sampled_from([s.mcp_url, s.mcp_url.replace("/mcp", "/openai/mcp"), "https://evil.example/"]),
        "scope": st.sampled_from(["insights:read", "insights:read dataset:ds-core", "openid admin", ""]),
        "username": st.just("member@acme.example"),
        "password": st.just(DEMO_PASSWORD),
    }


def as_latin1(text: str) -> str:
    """Odd text as form values: surrogates and all, sent as the bytes they stand for."""
    return text.encode("utf-8", "surrogatepass").decode("latin-1")


@st.composite
def token_shots(draw: st.DrawFn, s: Secrets) -> Shot:
    rng = draw(st.randoms(use_true_random=True))
    client = draw(st.sampled_from([s.public, s.public, s.confidential]))
    plausible = token_fields(s, client)
    names = draw(st.lists(st.sampled_from(list(plausible)), min_size=1, max_size=7))
    complete = draw(st.sampled_from(list(COMPLETE_TOKEN_REQUESTS))) if chance(rng, 50) else None
    if complete:  # a whole request of one kind, with a few fields added or changed
        names = [*COMPLETE_TOKEN_REQUESTS[complete], *names[:2]]
    fields = [(name, draw(plausible[name] if chance(rng, 85) else ODD_TEXT.map(as_latin1))) for name in names]
    if complete in ("authorization_code", "refresh_token") and chance(rng, 90):
        fields[0] = ("grant_type", complete)
    fields += [
        (draw(st.text(max_size=10)), draw(st.text(max_size=20))) for _ in range(draw(st.sampled_from([0, 0, 1])))
    ]
    body = urlencode(fields).encode()
    if chance(rng, 12):
        garbage = [b"grant_type=refresh_token&refresh_token=%ff%fe", b"%", b"a=%zz&b", b"\xff\xfe=\x00"]
        body = draw(st.sampled_from(garbage) | st.binary(max_size=100))
    headers: dict[str, str | bytes] = {"Content-Type": "application/x-www-form-urlencoded"}
    if chance(rng, 12):
        headers["Content-Type"] = draw(st.sampled_from(CONTENT_TYPES) | HEADER_BYTES)
    if chance(rng, 25):
        secret = client.get("client_secret") or ""
        pairs = [f"{client['client_id']}:{secret}", f"{client['client_id']}:wrong", "no-colon", ":"]
        basic = base64.b64encode(draw(st.sampled_from(pairs) | st.text(max_size=20)).encode("utf-8", "surrogatepass"))
        schemes = [f"Basic {basic.decode()}".strip(), "Basic !!!not-base64", "Basic \t=", "Basic"]
        headers["Authorization"] = draw(st.sampled_from(schemes) | HEADER_BYTES)
    path = "/oauth/revoke/" if complete == "revocation" or chance(rng, 10) else "/oauth/token/"
    query = "?" + draw(st.sampled_from(BAD_QUERIES) | st.text(max_size=10).map(quote)) if chance(rng, 5) else ""
    return Shot("token", "POST", path + query, headers, body)


# -- OAuth: authorize -----------------------------------------------------------------------------
@st.composite
def authorize_shots(draw: st.DrawFn, s: Secrets, mcp_url: str) -> Shot:
    rng = draw(st.randoms(use_true_random=True))
    challenge = base64.urlsafe_b64encode(hashlib.sha256(b"v" * 43).digest()).rstrip(b"=").decode()
    client_ids = [s.public["client_id"]] * 3 + [
        s.confidential["client_id"],
        "nope",
        "x\x00",
        "https://claude.ai/c.json",
    ]
    plausible = {
        "response_type": st.sampled_from(["code", "token", "code id_token", ""]),
        "client_id": st.sampled_from(client_ids),
        "redirect_uri": st.sampled_from([CALLBACK] * 3 + REDIRECT_URIS[1:10]),
        "scope": st.sampled_from(["insights:read dataset:ds-core", "insights:read", "admin", ""]),
        "state": st.text(max_size=10),
        "code_challenge": st.sampled_from([challenge, "", "short"]),
        "code_challenge_method": st.sampled_from(["S256", "plain", "s256", ""]),
        "resource": st.sampled_from([mcp_url, mcp_url.replace("/mcp", "/openai/mcp"), "https://evil.example/mcp"]),
        "approval_prompt": st.sampled_from(["auto", "force"]),
        "prompt": st.sampled_from(["none", "consent", "login", "create"]),
        "organization": st.sampled_from(["1", "2", "999", "x"]),
        "nonce": st.text(max_size=8),
    }
    valid = {"response_type": "code", "client_id": s.public["client_id"], "redirect_uri": CALLBACK}
    valid |= {"scope": "insights:read dataset:ds-core", "state": "s", "code_challenge": challenge}
    valid |= {"code_challenge_method": "S256", "resource": mcp_url}
    fields = [(n, draw(plausible[n])) for n in draw(st.lists(st.sampled_from(list(plausible)), max_size=10))]
    if chance(rng, 60):  # a valid request, with a few fields changed, repeated, removed or added
        changed = draw(st.lists(st.sampled_from(list(plausible)), max_size=3))
        fields = [(n, v) for n, v in valid.items() if n not in changed or chance(rng, 50)] + fields[:3]
    fields = [(n, v if chance(rng, 90) else draw(QUERY_TEXT.map(as_latin1))) for n, v in fields]
    query = urlencode(fields)
    if chance(rng, 15):
        query += "&" + draw(st.sampled_from(BAD_QUERIES))
    return Shot("authorize", "GET", f"/oauth/authorize/?{query}", session=chance(rng, 80))


# -- the management API (/api/v1) and SCIM (/scim/v2) -------------------------------------------------
# Both fuzz an organization of their own ("Fuzz Inc", made at setup), so their writes (members
# removed, connectors unpublished, people deprovisioned) never reach the demo organizations the other
# end-to-end tests use. What would lock the fuzz out of its own organization is never generated: its
# admin's own ID, token or email domain, and ending the organization's access.
FUZZ_ORG = """
import json
from accounts.models import EmailDomain, Membership, Organization, User
from accounts.services import token_create
from catalog.models import Dataset
from scim.services import scim_token_create
org = Organization.objects.create(name="Fuzz Inc", slug="fuzz", access_status="contract")
org.datasets.set(Dataset.objects.all())
EmailDomain.objects.create(organization=org, domain="fuzz.example")
people = {}
for role in ("admin", "member"):
    people[role] = User.objects.create_user(email=f"{role}@fuzz.example", password=None)
    Membership.objects.create(organization=org, user=people[role], role=role)
admin = token_create(user=people["admin"], organization=org, name="fuzz", days=30, scopes=["org:admin", "org:read"])
victim = token_create(user=people["member"], organization=org, name="victim", days=30, scopes=["insights:read"])
scim = scim_token_create(organization=org, name="Fuzz IdP", actor=None, origin=None)
print(json.dumps({
    "api_token": admin.secret, "admin_token_id": admin.token.pk, "victim_token_id": victim.token.pk,
    "scim_token": scim.secret, "admin_id": people["admin"].pk, "member_id": people["member"].pk,
    "acme_member_id": User.objects.get(email="member@acme.example").pk,
}))
"""


@dataclass(repr=False)
class FuzzOrg:
    """The fuzz's own organization: an admin's org:admin token, a SCIM token, and IDs to aim at."""

    api_token: str
    admin_token_id: int
    victim_token_id: int
    scim_token: str
    admin_id: int
    member_id: int
    acme_member_id: int
    scim_ids: list[str] = field(default_factory=list)  # people SCIM created during the run
    api_ids: list[int] = field(default_factory=list)  # tokens and clients the API created during the run

    def __repr__(self) -> str:
        return "FuzzOrg(...)"


ROW_IDS = st.one_of(
    st.integers(0, 60).map(str),
    st.sampled_from(["999999999999999999", "9999999999999999999", "208320069582849579675549696", "-1", "0x1"]),
    st.sampled_from(["²", "١", "1e3", " 1", "1 ", "%00", "%2e%2e"]),
)
SLUGS = ["fuzz"] * 20 + ["acme", "globex", "nope", "x" * 81, "%00", "fuzz%2F..", "FUZZ"]
PLATFORMS = ["claude", "chatgpt", "copilot", "custom", "myspace", "%00", "Claude"]
DOMAINS = ["fuzz-extra.example", "other.example", "acme.example", "nope.example", "%00", "a" * 300, "..", "xn--e1a"]
EXPRESSION_LEAVES = st.one_of(
    st.fixed_dictionaries({"audience": st.sampled_from(["gen_z", "millennials", "nope"]) | ODD_TEXT}),
    st.fixed_dictionaries({"gender": st.sampled_from(["female", "male", "other"]) | JSON_VALUES}),
    st.fixed_dictionaries({"age": st.lists(st.integers(-5, 130) | HUGE_INTS | JSON_VALUES, max_size=3)}),
    st.fixed_dictionaries(
        {"datapoint": st.sampled_from(["interests.gaming", "social_weekly.tiktok", "x.y"]) | ODD_TEXT}
    ),
)
EXPRESSIONS = st.recursive(
    EXPRESSION_LEAVES,
    lambda inner: (
        st.fixed_dictionaries({"and": st.lists(inner, max_size=3)})
        | st.fixed_dictionaries({"or": st.lists(inner, max_size=3)})
        | st.fixed_dictionaries({"not": inner})
    ),
    max_leaves=6,
)
LOWER = st.text("abcdefghijklmnopqrstuvwxyz0123456789-", min_size=1, max_size=12)
FUZZ_TOOLS = ["chat_gwi", "explore_insight_gwi", "fetch", "list_datasets", "query_survey", "search", "search_survey"]
FUZZ_CODES = ["ds-core", "ds-gaming", "ds-usa-deep", "nope"]
FUZZ_RANGES = ["10.0.0.0/8", "203.0.113.7", "2001:db8::/32", "160.79.104.0/23", "0.0.0.0/0", "::/0"]
ODD_RANGES = ["10.0.0.1/8", "intranet", "300.1.1.1", "::/129", "1.2.3.4/-1", "fe80::1%eth0", " ", "0/0"]
CONNECTION_POLICY_FIELDS = ("tools_off", "platform_datasets", "token_datasets", "token_networks", "assistant_networks")
"""The policies the fuzz may change: not the token policies or quotas, which would stop its own token."""
# Each body field: values the API takes (drawn most of the time, so writes get past validation and
# reach the services), and values of every wrong kind.
API_VALID: dict[str, st.SearchStrategy[Any]] = {
    "name": st.text(st.characters(codec="utf-8"), min_size=1, max_size=40),
    "days": st.sampled_from([7, 30, 90, 365]),
    "scopes": st.lists(st.sampled_from(["insights:read", "dataset:ds-core", "org:read"]), min_size=1, max_size=3),
    "status": st.sampled_from(["trial", "contract", "restored"]),  # never "ended": see above
    "dataset": st.sampled_from(["ds-core", "ds-gaming", "ds-usa-deep"]),
    "description": st.text(max_size=60),
    "expression": EXPRESSIONS,
    "redirect_uri": st.builds(lambda s: f"https://global.consent.azure-apim.net/redirect/{s}", LOWER),
    "published": st.booleans(),
    "domain": st.builds(lambda s: f"{s}.example", LOWER),
    "enabled": st.booleans(),
    "email": st.builds(lambda s: f"{s}@fuzz.example", LOWER),
    "role": st.sampled_from(["admin", "member"]),
    "all_datasets": st.none() | st.booleans(),
    # Never false: the fuzz's admin credential is a personal access token (see `_api_body`).
    "personal_tokens_allowed": st.just(True),
    "token_max_days": st.none() | st.integers(1, 365),
    "daily_calls_per_person": st.none() | st.integers(0, 10**6),
    "daily_calls_per_organization": st.none() | st.integers(0, 10**6),
    "call_audit": st.booleans(),
    "call_audit_prompts": st.booleans(),
    "audit_retention_days": st.none() | st.integers(1, 3650),
    # Unresolvable (.invalid) or refused (private): a test delivery fails at once, never leaves the machine.
    "url": st.sampled_from(["https://siem.invalid/hook", "https://10.0.0.1/hook", "https://[::1]/x"]),
    "event_ids": st.lists(st.uuids().map(str), max_size=3),
    # The tool, dataset and network policies: the tokens' allow-list always keeps the loopback the fuzz
    # calls from (a list leaving it out is refused unless confirmed, which the fuzz never sends).
    "tools_off": st.lists(st.sampled_from(FUZZ_TOOLS), max_size=3, unique=True),
    "platform_datasets": st.dictionaries(
        st.sampled_from(PLATFORMS[:4]), st.lists(st.sampled_from(FUZZ_CODES)), max_size=3
    ),
    "token_datasets": st.dictionaries(st.integers(1, 60).map(str), st.lists(st.sampled_from(FUZZ_CODES)), max_size=2),
    "token_networks": st.lists(st.sampled_from(FUZZ_RANGES), max_size=3).map(lambda r: ["127.0.0.0/8", "::1", *r]),
    "assistant_networks": st.lists(st.sampled_from(FUZZ_RANGES), max_size=4),
    # The tokens' list always keeps the fuzz's loopback, so confirming a lock-out never locks it out.
    "own_address_outside_confirmed": st.booleans(),
}
API_ODD: dict[str, st.SearchStrategy[Any]] = {
    "name": long_text(most=150) | ODD_TEXT,
    "days": st.integers() | HUGE_INTS | st.floats() | st.just("30"),
    "scopes": st.lists(st.sampled_from(["org:admin", "admin", "", "dataset:nope"]) | ODD_TEXT, max_size=60),
    "dataset": ODD_TEXT,
    "expression": JSON_VALUES | st.builds(lambda n: {"not": n}, JSON_VALUES),
    "redirect_uri": st.sampled_from(REDIRECT_URIS) | ODD_TEXT,
    "domain": st.sampled_from(["acme.example", "localhost", "fuzz-extra.example", "-x-.example", "a..b"]) | ODD_TEXT,
    "email": st.sampled_from(["member@fuzz.example", "x@acme.example", "bad", "a@b"]) | ODD_TEXT,
    "role": st.sampled_from(["owner", "", "Admin"]) | ODD_TEXT,
    "all_datasets": st.sampled_from(["true", 1, 0, "null"]) | ODD_TEXT,
    "personal_tokens_allowed": st.sampled_from(["false", "true", 0, 1, "no"]) | ODD_TEXT,
    "token_max_days": st.integers() | HUGE_INTS | st.floats() | st.sampled_from(["30", True]),
    "daily_calls_per_person": st.integers() | HUGE_INTS | st.floats() | st.sampled_from(["5", True]),
    "daily_calls_per_organization": st.integers() | HUGE_INTS | st.floats() | st.sampled_from(["5", False]),
    "audit_retention_days": st.integers() | HUGE_INTS | st.just("30"),
    "url": st.sampled_from(["http://127.0.0.1:1/", "ftp://x", "https://u:p@siem.invalid/", "x" * 600]) | ODD_TEXT,
    "event_ids": st.lists(ODD_TEXT, max_size=3) | ODD_TEXT,
}
ASSISTANT_POLICY_FIELDS = (
    "approval_required",
    "allowed_clients",
    "access_token_minutes",
    "refresh_token_hours",
    "reconsent_days",
)
API_VALID |= {
    "approval_required": st.booleans(),
    "allowed_clients": st.lists(
        st.sampled_from(["claude.ai", "https://claude.ai/oauth/client.json", "localhost"]) | LOWER, max_size=4
    ),
    "access_token_minutes": st.none() | st.integers(1, 60),
    "refresh_token_hours": st.none() | st.integers(1, 720),
    "reconsent_days": st.none() | st.integers(1, 365),
}
API_VALID["status"] = API_VALID["status"] | st.sampled_from(["approved", "denied"])
API_ODD |= {
    "allowed_clients": st.lists(ODD_TEXT | long_text(most=300), max_size=120) | ODD_TEXT,
    "access_token_minutes": st.integers() | HUGE_INTS | st.floats() | st.just("30"),
    "refresh_token_hours": st.integers() | HUGE_INTS | st.just(True),
    "reconsent_days": st.integers() | HUGE_INTS | st.just("7"),
    "tools_off": st.lists(st.sampled_from(["chat", "", "CHAT_GWI"]) | ODD_TEXT, max_size=9),
    "platform_datasets": st.dictionaries(ODD_TEXT, st.lists(ODD_TEXT, max_size=3) | JSON_VALUES, max_size=3),
    "token_datasets": st.dictionaries(ODD_TEXT, st.lists(ODD_TEXT, max_size=3) | JSON_VALUES, max_size=3),
    "token_networks": st.lists(st.sampled_from(ODD_RANGES) | ODD_TEXT, max_size=120),
    "assistant_networks": st.lists(st.sampled_from(ODD_RANGES) | ODD_TEXT, max_size=120),
}
# Each operation of the schema: method, path (its parameters in braces), and its body's fields.
API_OPERATIONS: list[tuple[str, str, tuple[str, ...]]] = [
    ("GET", "/me", ()),
    ("GET", "/me/connected-apps", ()),
    ("DELETE", "/me/connected-apps/{row}", ()),
    ("GET", "/me/tokens", ()),
    ("POST", "/me/tokens", ("name", "days", "scopes", "all_datasets")),
    ("DELETE", "/me/tokens/{token}", ()),
    ("POST", "/me/tokens/{token}/rotate", ()),
    ("GET", "/organizations", ()),
    ("GET", "/organizations/{slug}", ()),
    ("PUT", "/organizations/{slug}/access", ("status",)),
    ("GET", "/organizations/{slug}/audiences", ()),
    ("POST", "/organizations/{slug}/audiences", ("dataset", "name", "description", "expression")),
    ("GET", "/organizations/{slug}/audit-events", ()),
    ("GET", "/organizations/{slug}/audit-events/export", ()),
    ("GET", "/organizations/{slug}/clients", ()),
    ("POST", "/organizations/{slug}/clients", ("name", "redirect_uri")),
    ("DELETE", "/organizations/{slug}/clients/{row}", ()),
    ("GET", "/organizations/{slug}/connected-apps", ()),
    ("DELETE", "/organizations/{slug}/connected-apps/{row}", ()),
    ("GET", "/organizations/{slug}/connectors", ()),
    ("GET", "/organizations/{slug}/connectors/{platform}", ()),
    ("PUT", "/organizations/{slug}/connectors/{platform}", ("published",)),
    ("DELETE", "/organizations/{slug}/connectors/{platform}", ()),
    ("GET", "/organizations/{slug}/doctor", ()),
    ("GET", "/organizations/{slug}/domains", ()),
    ("POST", "/organizations/{slug}/domains", ("domain",)),
    ("GET", "/organizations/{slug}/domains/{domain}", ()),
    ("PATCH", "/organizations/{slug}/domains/{domain}", ("enabled",)),
    ("DELETE", "/organizations/{slug}/domains/{domain}", ()),
    ("POST", "/organizations/{slug}/domains/{domain}/verify", ()),  # asks the test's own DNS server
    ("GET", "/organizations/{slug}/members", ()),
    ("POST", "/organizations/{slug}/members", ("email", "role")),
    ("GET", "/organizations/{slug}/members/{person}", ()),
    ("PATCH", "/organizations/{slug}/members/{person}", ("role",)),
    ("DELETE", "/organizations/{slug}/members/{person}", ()),
    ("POST", "/organizations/{slug}/members/{person}/mfa-reset", ()),
    ("GET", "/organizations/{slug}/policies", ()),
    (
        "PATCH",
        "/organizations/{slug}/policies",
        (
            "personal_tokens_allowed",
            "token_max_days",
            "daily_calls_per_person",
            "daily_calls_per_organization",
            *CONNECTION_POLICY_FIELDS,
            "own_address_outside_confirmed",
        ),
    ),
    ("GET", "/organizations/{slug}/tokens", ()),
    ("DELETE", "/organizations/{slug}/tokens/{token}", ()),
    ("GET", "/organizations/{slug}/usage", ()),
    # The audit policies and the audit stream (api/audit_views.py).
    ("GET", "/organizations/{slug}/audit-policies", ()),
    ("PATCH", "/organizations/{slug}/audit-policies", ("call_audit", "call_audit_prompts", "audit_retention_days")),
    ("GET", "/organizations/{slug}/audit-stream", ()),
    ("PUT", "/organizations/{slug}/audit-stream", ("url", "enabled")),
    ("DELETE", "/organizations/{slug}/audit-stream", ()),
    ("POST", "/organizations/{slug}/audit-stream/test", ()),
    ("POST", "/organizations/{slug}/audit-stream/secret", ()),
    ("GET", "/organizations/{slug}/audit-stream/dead-letters", ()),
    ("POST", "/organizations/{slug}/audit-stream/dead-letters/resend", ("event_ids",)),
    # Assistant policies (approval of new clients, lifetimes): none of them locks the fuzz out
    ("GET", "/organizations/{slug}/assistant-policies", ()),
    ("PATCH", "/organizations/{slug}/assistant-policies", ASSISTANT_POLICY_FIELDS),
    ("GET", "/organizations/{slug}/assistant-approvals", ()),
    ("PUT", "/organizations/{slug}/assistant-approvals/{row}", ("status",)),
]
API_QUERIES: dict[str, st.SearchStrategy[str]] = {
    "q": st.sampled_from(["member", "fuzz.example", "%", "_"]) | QUERY_TEXT,
    "role": st.sampled_from(["admin", "member", "owner"]) | QUERY_TEXT,
    "actor": st.sampled_from(["admin@fuzz.example", "@"]) | QUERY_TEXT,
    "action": st.sampled_from(["token.", "member.invited", "scim.", "."]) | QUERY_TEXT,
    "since": st.sampled_from(["2026-01-01", "0001-01-01", "9999-12-31", "2026-02-30", "today", "-1"]) | QUERY_TEXT,
    "until": st.sampled_from(["2026-12-31", "99999-01-01", "1970-01-01T00:00:00"]) | QUERY_TEXT,
    "cursor": st.sampled_from(["cD0yMDI2LTAx", "bz0xMDAwMDAwMA==", "cD0lMDA=", "=="]) | QUERY_TEXT,
    "limit": st.integers(-5, 2_000).map(str) | st.sampled_from(["99999999999999999999", "1e3", "²"]),
    "days": st.integers(-5, 200).map(str) | st.sampled_from(["99999999999999999999", "1.5", "²"]),
    "as": st.sampled_from(["csv", "jsonl", "json", "xml"]) | QUERY_TEXT,
    "subject": st.sampled_from(["member@fuzz.example", "spk_", "spkscim_", "nope"]) | QUERY_TEXT,
    "organization": st.sampled_from(SLUGS) | QUERY_TEXT,
}


def _one_of_known(draw: st.DrawFn, known: list[str]) -> str:
    """One of `known` (which grows as the run creates things) or a generated ID. Drawn as a position,
    so the choices Hypothesis records mean the same whatever the list holds when it replays them."""
    position = draw(st.integers(-1, 31))
    return known[position % len(known)] if known and position >= 0 else draw(ROW_IDS)


def _path_value(draw: st.DrawFn, o: FuzzOrg, name: str) -> str:
    """A path parameter: mostly one that names something, sometimes garbage; never the fuzz's own
    admin, token or domain (changing those would lock the fuzz out of its organization)."""
    if name == "slug":
        return draw(st.sampled_from(SLUGS))
    if name == "platform":
        return draw(st.sampled_from(PLATFORMS))
    if name == "domain":
        return draw(st.sampled_from(DOMAINS))
    created = list(reversed(o.api_ids[-10:]))  # the newest first
    known = {"person": [o.member_id, o.acme_member_id], "token": [*created, o.victim_token_id]}.get(name, created)
    value = _one_of_known(draw, [str(k) for k in known])
    forbidden = {"person": str(o.admin_id), "token": str(o.admin_token_id)}.get(name)
    return "0" if value == forbidden else value


def _api_body(draw: st.DrawFn, rng: random.Random, fields: tuple[str, ...]) -> bytes:
    kind = rng.choice(["fields"] * 6 + ["wrong"] + ["nested"] * 2 + ["raw"])
    if kind == "nested":
        body = f'{{"{draw(st.sampled_from(fields or ("name",)))}":{draw(DEEP)}}}'.encode()
    elif kind == "raw":
        body = draw(raw_bodies())
    else:
        data: Any = {
            name: draw(API_VALID[name] if chance(rng, 90) else API_ODD.get(name, JSON_VALUES))
            for name in fields
            if chance(rng, 95)
        }
        if kind == "wrong":
            data = (
                draw(JSON_VALUES)
                if chance(rng, 50)
                else {**data, draw(st.text(ANY_CHAR, max_size=8)): draw(JSON_VALUES)}
            )
        for name in [n for n in fields if chance(rng, 10) and isinstance(data, dict)]:
            data[name] = draw(JSON_VALUES | HUGE_INTS)
        if isinstance(data, dict) and data.get("personal_tokens_allowed") is False:
            data["personal_tokens_allowed"] = True  # off would lock the fuzz out: its admin credential is a token
        body = encode(data, draw(st.booleans()))
    return body


def _api_query(draw: st.DrawFn, rng: random.Random) -> str:
    names = draw(st.lists(st.sampled_from(list(API_QUERIES)), max_size=4))
    fields = [(name, draw(API_QUERIES[name])) for name in names]
    query = urlencode([(n, as_latin1(v)) for n, v in fields])  # lone surrogates sent as the bytes they stand for
    if chance(rng, 8):
        query += "&" + draw(st.sampled_from(BAD_QUERIES))
    return "?" + query if query else ""


@st.composite
def api_shots(draw: st.DrawFn, s: Secrets) -> Shot:
    rng = draw(st.randoms(use_true_random=True))
    o = s.fuzz_org
    method, template, fields = draw(st.sampled_from(API_OPERATIONS))
    names = re.findall(r"{(\w+)}", template)
    path = template.format(**{n: quote(as_latin1(_path_value(draw, o, n)), safe="%") for n in names})
    if chance(rng, 5):
        method = draw(st.sampled_from(["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD"]))
    headers: dict[str, str | bytes] = {"Authorization": f"Bearer {o.api_token}", "Accept": "application/json"}
    if chance(rng, 8):
        auth = draw(odd_authorizations(s) | st.just(f"Bearer {s.pat}"))  # a PAT without org scopes, garbage, none
        if auth is None:
            del headers["Authorization"]
        else:
            headers["Authorization"] = auth
    body = None
    if method in ("POST", "PUT", "PATCH") or chance(rng, 3):
        body = _api_body(draw, rng, fields)
        headers["Content-Type"] = "application/json"
        if chance(rng, 10):
            headers["Content-Type"] = draw(st.sampled_from(CONTENT_TYPES) | HEADER_BYTES)
    if method in ("PUT", "PATCH") and chance(rng, 15):
        headers["If-Match"] = draw(st.sampled_from(['"x"', "*", 'W/"1"', ""]) | HEADER_BYTES)
    if method == "POST" and chance(rng, 15):
        headers["Idempotency-Key"] = draw(st.sampled_from(["k1", "k1", "x" * 300]) | HEADER_BYTES)
    query = _api_query(draw, rng) if method == "GET" or chance(rng, 5) else ""
    return Shot("api", method, "/api/v1" + path + query, headers, body, chunked=chance(rng, 3))


# SCIM: Users as identity providers send them (Okta, Entra), and everything they should never send.
USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
PATCH_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
SEARCH_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"
USER_NAME = st.builds(lambda s: f"{s}@fuzz.example", st.text("abcdefghij0123456789.-_+", min_size=1, max_size=12))
ODD_USER_NAMES = st.sampled_from(
    ["member@fuzz.example", "admin@fuzz.example", "x@acme.example", "bjensen", "@fuzz.example"]
)
NAME_TEXT = st.text(st.characters(codec="utf-8"), max_size=30)
# Each User attribute: what identity providers send (drawn most of the time), and what they should not.
SCIM_VALID: dict[str, st.SearchStrategy[Any]] = {
    "externalId": st.text("0123456789abcdef", min_size=1, max_size=20),
    "displayName": NAME_TEXT,
    "active": st.booleans(),
    "name": st.fixed_dictionaries(
        {}, optional={"givenName": NAME_TEXT, "familyName": NAME_TEXT, "formatted": NAME_TEXT}
    ),
    "emails": st.lists(
        st.fixed_dictionaries(
            {"value": USER_NAME}, optional={"type": st.sampled_from(["work", "home"]), "primary": st.booleans()}
        ),
        max_size=3,
    ),
    "title": NAME_TEXT,
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": st.fixed_dictionaries({"department": NAME_TEXT}),
}
SCIM_ODD: dict[str, st.SearchStrategy[Any]] = {
    "schemas": st.lists(
        st.sampled_from([USER_SCHEMA, "urn:ietf:params:scim:api:messages:2.0:PatchOp", "urn:x"]) | ODD_TEXT
    ),
    "userName": ODD_USER_NAMES | ODD_TEXT,
    "active": st.sampled_from(["true", "False", 0, None]),
    "emails": st.lists(st.fixed_dictionaries({"value": ODD_TEXT | JSON_VALUES}), max_size=3),
}
PATCH_PATHS = [
    "active",
    "userName",
    "displayName",
    "name.givenName",
    "name",
    "externalId",
    'emails[type eq "work"].value',
    "emails",
    "title",
    "members",
    "",
    "name.",
    "emails[value eq",
    "x" * 300,
]
FILTERS = st.one_of(
    st.builds(
        lambda a, op, v: f'{a} {op} "{v}"',
        st.sampled_from(
            ["userName", "externalId", "id", "displayName", "emails.value", "name.givenName", "active", "meta.created"]
        ),
        st.sampled_from(["eq", "ne", "co", "sw", "ew", "gt", "lt", "pr", "xx"]),
        st.text(max_size=12) | st.sampled_from(["\\ud800", "\\u0000", "²", "member@fuzz.example", '\\"', "\\"]),
    ),
    st.sampled_from(
        [
            "userName pr",
            "active eq true",
            'emails[type eq "work"]',
            '(userName eq "a") or (id eq "1")',
            "not (id pr)",
            "userName eq",
            '"',
            "((((((((((",
            "and and",
        ]
    ),
    QUERY_TEXT,
)
SCIM_QUERIES: dict[str, st.SearchStrategy[str]] = {
    "filter": FILTERS,
    "startIndex": st.integers(-10, 10).map(str)
    | st.sampled_from(["-5", "99999999999", "99999999999999999999", "1.5", "x", "²"]),
    "count": st.integers(-10, 300).map(str)
    | st.sampled_from(["99999999999", "-99999999999999999999", "0", "x", "1e400"]),
    "sortBy": st.sampled_from(["userName", "name.givenName", "meta.created", "nope", "emails"]) | QUERY_TEXT,
    "sortOrder": st.sampled_from(["ascending", "descending", "sideways"]) | QUERY_TEXT,
    "attributes": st.sampled_from(["userName", "name.givenName,emails", "nope", ","]) | QUERY_TEXT,
    "excludedAttributes": st.sampled_from(["emails", "id", "meta", "schemas"]) | QUERY_TEXT,
}


def _user(draw: st.DrawFn, rng: random.Random) -> dict[str, Any]:
    """A User: mostly one an identity provider would send, with a few attributes odd or of a wrong type."""
    user: dict[str, Any] = {"schemas": [USER_SCHEMA], "userName": draw(USER_NAME)}
    user |= {name: draw(strategy) for name, strategy in SCIM_VALID.items() if chance(rng, 40)}
    for name in [n for n in ["schemas", "userName", *SCIM_VALID] if chance(rng, 6)]:
        user[name] = draw(SCIM_ODD.get(name, ODD_TEXT) | JSON_VALUES | HUGE_INTS)
    return user


PATCH_VALUES: dict[str, st.SearchStrategy[Any]] = {
    "active": st.booleans(),
    "userName": USER_NAME,
    "displayName": NAME_TEXT,
    "externalId": SCIM_VALID["externalId"],
    "title": NAME_TEXT,
    "name.givenName": NAME_TEXT,
    "name": SCIM_VALID["name"],
    "emails": SCIM_VALID["emails"],
    'emails[type eq "work"].value': USER_NAME,
}


def _operation(draw: st.DrawFn, rng: random.Random) -> dict[str, Any]:
    """One PATCH operation as Okta or Entra sends it (a path and its value, or no path and an object
    of attributes), or one with its op, path or value odd."""
    op = draw(st.sampled_from(["replace", "add", "remove", "Replace", "Add"]))
    if chance(rng, 70):
        path = draw(st.sampled_from(list(PATCH_VALUES)))
        operation = {"op": op, "path": path, "value": draw(PATCH_VALUES[path])}
    else:
        values = {k: v for k, v in _user(draw, rng).items() if k != "schemas" and chance(rng, 50)}
        operation = {"op": op, "value": values}
    if chance(rng, 15):
        operation["op"] = draw(st.sampled_from(["move", "copy", ""]) | ODD_TEXT)
    if chance(rng, 15):
        operation["path"] = draw(st.sampled_from(PATCH_PATHS) | ODD_TEXT)
    if chance(rng, 15):
        operation["value"] = draw(st.booleans() | NAME_TEXT | ODD_TEXT | JSON_VALUES)
    if chance(rng, 5):
        del operation["value"]
    return operation


def _patch(draw: st.DrawFn, rng: random.Random) -> dict[str, Any]:
    operations = [_operation(draw, rng) for _ in range(rng.choice([0, 1, 1, 1, 2, 3]))]
    body: dict[str, Any] = {"schemas": [PATCH_SCHEMA], "Operations": operations}
    if chance(rng, 8):
        body["Operations"] = draw(JSON_VALUES)
    if chance(rng, 5):
        body["schemas"] = draw(JSON_VALUES)
    return body


def _search(draw: st.DrawFn, rng: random.Random) -> dict[str, Any]:
    body: dict[str, Any] = {"schemas": [SEARCH_SCHEMA]}
    for name, strategy in SCIM_QUERIES.items():
        if chance(rng, 30):
            value = draw(strategy)
            body[name] = int(value) if re.fullmatch("-?[0-9]+", value) and chance(rng, 70) else value
    if chance(rng, 10):
        body[draw(st.sampled_from(list(SCIM_QUERIES)))] = draw(JSON_VALUES | HUGE_INTS)
    return body


def _scim_body(draw: st.DrawFn, rng: random.Random, kind: str) -> bytes:
    shape = rng.choice(["plausible"] * 7 + ["nested"] * 2 + ["raw"])
    if shape == "nested":
        key = draw(st.sampled_from(["name", "emails", "Operations", "filter", "displayName", "value"]))
        return f'{{"schemas":["{USER_SCHEMA}"],"userName":"deep@fuzz.example","{key}":{draw(DEEP)}}}'.encode()
    if shape == "raw":
        return draw(raw_bodies())
    data = {"user": _user, "patch": _patch, "search": _search}[kind](draw, rng)
    if chance(rng, 5):
        data = draw(JSON_VALUES)
    return encode(data, draw(st.booleans()))


def _scim_target(draw: st.DrawFn, rng: random.Random, o: FuzzOrg) -> tuple[str, str, str]:
    """Method, path and body kind: mostly Users and searches, some discovery and dead ends."""
    people = [*reversed(o.scim_ids[-20:]), str(o.member_id), str(o.acme_member_id)]  # the newest first
    person = _one_of_known(draw, people) if chance(rng, 80) else draw(QUERY_TEXT.map(as_latin1).map(quote))
    person = "0" if person == str(o.admin_id) else person
    return draw(
        st.sampled_from(
            [("GET", "/Users", "")] * 4
            + [("POST", "/Users", "user")] * 4
            + [("GET", f"/Users/{person}", ""), ("DELETE", f"/Users/{person}", "")]
            + [("PUT", f"/Users/{person}", "user")] * 3
            + [("PATCH", f"/Users/{person}", "patch")] * 4
            + [("POST", "/.search", "search"), ("POST", "/Users/.search", "search")] * 2
            + [("GET", p, "") for p in ("/ServiceProviderConfig", "/ResourceTypes", "/ResourceTypes/User", "/Schemas")]
            + [("GET", f"/Schemas/{USER_SCHEMA}", ""), ("GET", "/Groups", ""), ("POST", "/Bulk", "user")]
        )
    )


@st.composite
def scim_shots(draw: st.DrawFn, s: Secrets) -> Shot:
    rng = draw(st.randoms(use_true_random=True))
    o = s.fuzz_org
    method, path, kind = _scim_target(draw, rng, o)
    if chance(rng, 5):
        method = draw(st.sampled_from(["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]))
    headers: dict[str, str | bytes] = {"Authorization": f"Bearer {o.scim_token}", "Accept": "application/scim+json"}
    if chance(rng, 8):
        wrong = [f"Bearer {o.api_token}", "Bearer spkscim_x", f"Bearer {o.scim_token[:-1]}A"]
        auth = draw(st.sampled_from(wrong) | odd_authorizations(s))
        if auth is None:
            del headers["Authorization"]
        else:
            headers["Authorization"] = auth
    body = None
    if method in ("POST", "PUT", "PATCH") or chance(rng, 3):
        body = _scim_body(draw, rng, kind or "user")
        headers["Content-Type"] = draw(st.sampled_from(["application/scim+json"] * 3 + ["application/json"]))
        if chance(rng, 8):
            headers["Content-Type"] = draw(st.sampled_from(CONTENT_TYPES) | HEADER_BYTES)
    query = ""
    if method == "GET" and (path == "/Users" or chance(rng, 10)):
        names = draw(st.lists(st.sampled_from(list(SCIM_QUERIES)), max_size=4))
        query = urlencode([(n, as_latin1(draw(SCIM_QUERIES[n]))) for n in names])
        query = "?" + query if query else ""
    return Shot("scim", method, "/scim/v2" + path + query, headers, body, chunked=chance(rng, 3))


# -- sending and checking ---------------------------------------------------------------------------
def _json(response: httpx2.Response, typed: bool = True) -> Any:
    if typed:
        assert response.headers.get("content-type", "").startswith("application/json"), response.headers
    return json.loads(response.content)  # Python's parser: NaN and Infinity, if echoed, are fine here


def check_mcp(shot: Shot, response: httpx2.Response) -> None:
    if response.status_code in (202, 204):
        assert not response.content
        return
    body = _json(response)
    assert isinstance(body, dict), body
    if "jsonrpc" in body:
        assert body["jsonrpc"] == "2.0" and "id" in body and ("result" in body) != ("error" in body), body
        if "error" in body:
            error = body["error"]
            assert isinstance(error["code"], int) and isinstance(error["message"], str), body
        else:
            assert isinstance(body["result"], dict), body
    else:  # refused before JSON-RPC: an OAuth error object with its challenge
        assert isinstance(body.get("error"), str) and response.status_code in (401, 403), body
        assert response.headers.get("www-authenticate", "").startswith("Bearer "), response.headers


def check_oauth_json(shot: Shot, response: httpx2.Response) -> None:
    if response.status_code in (404, 405):
        return  # Django's own answers: a path that routes nowhere, a method the view has not
    if shot.path.startswith("/oauth/revoke/") and response.status_code == 200:
        return  # RFC 7009: a revocation answers 200 with no body
    # DOT's own token-endpoint refusals (say, "URL query parameters are not allowed") are JSON sent as text/html.
    body = _json(response, typed=shot.area != "token")
    assert isinstance(body, dict), body
    if response.status_code >= 400:
        assert isinstance(body.get("error"), str), body


def check_authorize(shot: Shot, response: httpx2.Response) -> None:
    if not shot.session:  # to the sign-in page; with prompt=none, an error (back to the client, or a page)
        assert response.status_code in (302, 400), response
        location = response.headers.get("location", "")
        assert response.status_code == 400 or "/auth/login/" in location or "error=" in location, response
    else:
        assert response.status_code in (200, 302, 400, 403), response


def check_api(shot: Shot, response: httpx2.Response) -> None:
    """Every refusal an RFC 9457 problem; every answer JSON, but an export's file and a 204."""
    if response.status_code == 204 or shot.method == "HEAD":
        assert not response.content
        return
    if not response.request.url.path.startswith("/api/"):
        return  # dot segments ("..") in a generated ID took the path out of the API: another page's 404
    if response.status_code == 200 and "/audit-events/export" in shot.path:
        return  # CSV or JSON Lines, streamed
    if response.status_code >= 400:
        assert response.headers.get("content-type", "").startswith("application/problem+json"), response.headers
        body = json.loads(response.content)
        assert body["status"] == response.status_code and isinstance(body["detail"], str), body
    else:
        assert isinstance(_json(response), dict | list)


SCIM_ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"


def check_scim(shot: Shot, response: httpx2.Response) -> None:
    """Every answer `application/scim+json` (a 204 has no body), every refusal a SCIM error (RFC 7644 §3.12)."""
    if response.status_code == 204:
        assert not response.content
        return
    if not response.request.url.path.startswith("/scim/v2"):
        return  # dot segments ("..") in a generated ID took the path out of SCIM: another page's 404
    assert response.headers.get("content-type", "").startswith("application/scim+json"), response.headers
    body = json.loads(response.content)
    if response.status_code >= 400:
        assert body["schemas"] == [SCIM_ERROR] and body["status"] == str(response.status_code), body


@dataclass
class Fuzz:
    server: LiveServer
    http: httpx2.Client
    session: httpx2.Client
    secrets: Secrets
    sent: Counter[str] = field(default_factory=Counter)
    statuses: Counter[tuple[str, int]] = field(default_factory=Counter)
    seconds: dict[str, float] = field(default_factory=dict)

    def send(self, shot: Shot, check: Callable[[Shot, httpx2.Response], None]) -> None:
        content: Any = shot.body
        if shot.chunked and shot.body is not None:
            content = iter([shot.body[: len(shot.body) // 2], shot.body[len(shot.body) // 2 :]])
        client = self.session if shot.session else self.http
        response = client.request(shot.method, self.server.url + shot.path, headers=shot.headers, content=content)
        self.sent[shot.area] += 1
        self.statuses[(shot.area, response.status_code)] += 1
        detail = f"{shot!r:.1000}\n-> {response.status_code} {response.content[:500]!r}\nseed {SEED}"
        assert response.status_code < 500, detail
        try:
            check(shot, response)
        except (AssertionError, ValueError, KeyError) as exc:
            raise AssertionError(f"{exc}\n{detail}") from exc
        self.keep_rotated(shot, response)
        if shot.area in ("api", "scim") and response.status_code == 201:  # what later shots may change
            created = response.json().get("id")
            if shot.area == "scim":
                self.secrets.fuzz_org.scim_ids.append(str(created))
            elif isinstance(created, int):
                self.secrets.fuzz_org.api_ids.append(created)

    def keep_rotated(self, shot: Shot, response: httpx2.Response) -> None:
        """Registration updates and refreshes rotate what they used: later requests get the new ones."""
        if response.status_code != 200 or shot.method not in ("POST", "PUT") or shot.area not in ("register", "token"):
            return
        answer = response.json() if response.content else {}
        if shot.method == "PUT":
            for client_info in self.secrets.managed:
                if client_info["client_id"] == answer["client_id"]:
                    client_info["registration_access_token"] = answer["registration_access_token"]
        elif shot.path.startswith("/oauth/token/") and "refresh_token" in answer:
            self.secrets.refresh = answer["refresh_token"]

    def log_mark(self) -> int:
        assert self.server.log_path is not None
        return self.server.log_path.stat().st_size

    def assert_log_clean(self, mark: int) -> None:
        assert self.server.log_path is not None
        time.sleep(0.2)  # let the workers' last lines land
        with self.server.log_path.open("rb") as log:
            log.seek(mark)
            text = log.read().decode("utf-8", "replace")
        alarms = [a for a in LOG_ALARMS if a in text]
        first = min((text.index(a) for a in alarms), default=0)
        assert not alarms, f"server log has {alarms} (seed {SEED}):\n{text[max(0, first - 500) : first + 5000]}"

    def run(self, area: str, strategy: st.SearchStrategy[Shot], check: Callable[[Shot, httpx2.Response], None]) -> None:
        @fuzz_settings(area)
        @seed(SEED)
        @given(strategy)
        def fuzz_area(shot: Shot) -> None:
            self.send(shot, check)

        mark, before, started = self.log_mark(), self.sent[area], time.monotonic()
        fuzz_area()
        self.seconds[area] = self.seconds.get(area, 0.0) + time.monotonic() - started
        self.assert_log_clean(mark)
        assert self.sent[area] - before >= EXAMPLES[area], self.sent


# -- setup: a token, registered clients, a real authorization and chat, a signed-in session -------
def _register(http: httpx2.Client, url: str, auth_method: str) -> dict[str, Any]:
    response = http.post(f"{url}/oauth/register/", json={**VALID_METADATA, "token_endpoint_auth_method": auth_method})
    assert response.status_code == 201, response.text
    return dict(response.json())


def _authorization(server: LiveServer, client_id: str) -> tuple[Browser, str, str, dict[str, Any]]:
    """Sign in as the demo member, allow a client twice, exchange the first code; the second stays unused."""
    browser = Browser(server.url, "member@acme.example", DEMO_PASSWORD, CALLBACK)
    codes = []
    for _ in range(2):
        verifier = secrets.token_urlsafe(48)
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        query = {
            "response_type": "code",
            "client_id": client_id,
            "redirect_uri": CALLBACK,
            "state": "fuzz",
            "code_challenge": challenge,
            "code_challenge_method": "S256",
            "resource": server.mcp_url,
            "scope": "insights:read dataset:ds-core",
        }
        browser.authorize(f"{server.url}/oauth/authorize/?{urlencode(query)}")
        assert browser.callback is not None, (browser.last_status, browser.last_page[-500:])
        codes.append((browser.callback.code, verifier))
    (code, verifier), unused = codes
    form = {"grant_type": "authorization_code", "code": code, "code_verifier": verifier}
    form |= {"redirect_uri": CALLBACK, "client_id": client_id, "resource": server.mcp_url}
    tokens = browser.http.post(f"{server.url}/oauth/token/", data=form)
    assert tokens.status_code == 200, tokens.text
    return browser, unused[0], unused[1], dict(tokens.json())


def _chat(http: httpx2.Client, server: LiveServer, pat: str) -> dict[str, Any]:
    """One real answer, so generated arguments can name an insight and a chat that exist."""
    arguments = {"prompt": PROMPTS[0]}
    message = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "tools/call",
        "params": {"name": "chat_gwi", "arguments": arguments},
    }
    headers = {"Authorization": f"Bearer {pat}", "Accept": "application/json", "MCP-Protocol-Version": "2025-11-25"}
    response = http.post(server.mcp_url, json=message, headers=headers)
    assert response.status_code == 200, response.text
    return dict(response.json()["result"]["structuredContent"])


def setup_fuzz(server: LiveServer) -> Fuzz:
    http = httpx2.Client(timeout=30, follow_redirects=False)
    public, confidential = (_register(http, server.url, m) for m in ("none", "client_secret_basic"))
    browser, code, verifier, tokens = _authorization(server, public["client_id"])
    pat = server.create_token(name="fuzz")
    answer = _chat(http, server, pat)
    found = Secrets(
        pat=pat,
        oauth_access=tokens["access_token"],
        public=public,
        confidential=confidential,
        managed=[_register(http, server.url, m) for m in ("none", "client_secret_post")],
        code=code,
        verifier=verifier,
        refresh=tokens["refresh_token"],
        insight_id=answer["insights"][0]["id"],
        chat_id=answer["chat_id"],
        mcp_url=server.mcp_url,
        fuzz_org=FuzzOrg(**json.loads(server.manage("shell", "-c", FUZZ_ORG).strip().splitlines()[-1])),
    )
    return Fuzz(server, http, browser.http, found)


@pytest.fixture(scope="module")
def fuzz(spark_server: LiveServer, pytestconfig: pytest.Config) -> Iterator[Fuzz]:
    reporter = pytestconfig.pluginmanager.getplugin("terminalreporter")
    capture = pytestconfig.pluginmanager.getplugin("capturemanager")

    def say(line: str) -> None:
        with capture.global_and_fixture_disabled():
            reporter.write_line(line)

    say(f"\nfuzz seed {SEED}; reproduce with: SPARK_FUZZ_SEED={SEED} pytest tests/e2e/test_fuzz.py")
    state = setup_fuzz(spark_server)
    started = time.monotonic()
    yield state
    total, seconds = sum(state.sent.values()), time.monotonic() - started
    say(f"\nfuzz seed {SEED}: {total} requests in {seconds:.1f} s; statuses by area:")
    for area in EXAMPLES:
        row = sorted((status, n) for (a, status), n in state.statuses.items() if a == area)
        took = f"{state.seconds.get(area, 0.0):>6.1f} s"
        say(f"  {area:<10} {state.sent[area]:>5} {took}   " + "  ".join(f"{status}: {n}" for status, n in row))
    say(f"reproduce with: SPARK_FUZZ_SEED={SEED} pytest tests/e2e/test_fuzz.py")
    state.http.close()
    state.session.close()


def test_the_api_fuzz_covers_every_operation_and_body_field_of_the_schema() -> None:
    """A new route or body field joins API_OPERATIONS (and API_VALID) or this fails, naming it."""
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    components = schema["components"]["schemas"]
    documented: dict[tuple[str, str], set[str]] = {}
    for path, operations in schema["paths"].items():
        if not path.startswith("/api/v1/"):
            continue
        for method, operation in operations.items():
            body = operation.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
            properties = components[body["$ref"].rsplit("/", 1)[1]]["properties"] if body else {}
            writable = {name for name, spec in properties.items() if not spec.get("readOnly")}
            documented[(method.upper(), re.sub(r"{\w+}", "{}", path.removeprefix("/api/v1")))] = writable
    fuzzed = {(method, re.sub(r"{\w+}", "{}", path)): set(fields) for method, path, fields in API_OPERATIONS}
    assert sorted(set(documented) - set(fuzzed)) == []
    assert sorted(set(fuzzed) - set(documented)) == []
    assert {op: fields for op, fields in fuzzed.items() if fields != documented[op]} == {}
    assert sorted({f for fields in fuzzed.values() for f in fields} - set(API_VALID)) == []


def test_fuzz_mcp_endpoints(fuzz: Fuzz) -> None:
    fuzz.run("mcp", mcp_shots(fuzz.secrets), check_mcp)


def test_fuzz_client_registration(fuzz: Fuzz) -> None:
    fuzz.run("register", registration_shots(fuzz.secrets), check_oauth_json)


def test_fuzz_token_and_revocation_endpoints(fuzz: Fuzz) -> None:
    fuzz.run("token", token_shots(fuzz.secrets), check_oauth_json)


def test_fuzz_authorize_endpoint(fuzz: Fuzz) -> None:
    fuzz.run("authorize", authorize_shots(fuzz.secrets, fuzz.server.mcp_url), check_authorize)


def test_fuzz_management_api(fuzz: Fuzz) -> None:
    fuzz.run("api", api_shots(fuzz.secrets), check_api)


def test_fuzz_scim(fuzz: Fuzz) -> None:
    fuzz.run("scim", scim_shots(fuzz.secrets), check_scim)
