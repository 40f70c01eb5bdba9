"""Fuzzing the real server: Hypothesis-generated hostile requests, over HTTP, against gunicorn.

The MCP endpoints get broken and valid-looking JSON-RPC (ids of every JSON type, huge numbers,
lone surrogates, nesting past the parser's limits, bytes that are not UTF-8, unknown methods,
every tool with arguments of every wrong type) under every kind of header; the OAuth endpoints
get generated registration metadata (RFC 7591 POST, RFC 7592 PUT), token and revocation
requests, and authorization requests (signed in and not). Every answer must be below 500 and
shaped as the endpoint promises (JSON-RPC, or an OAuth error object), and the server log must
stay free of tracebacks.

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
# Generated requests per area: 2,000 or more per run in all.
EXAMPLES = {"mcp": 1_100, "register": 350, "token": 300, "authorize": 250}
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
TOOL_NAMES = ["chat_gwi", "explore_insight_gwi", "list_datasets", "search", "fetch"]
ARGUMENT_NAMES = ["prompt", "chat_id", "docked_audiences", "insight_id", "query", "id"]
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


@dataclass
class Fuzz:
    server: LiveServer
    http: httpx2.Client
    session: httpx2.Client
    secrets: Secrets
    sent: Counter[str] = field(default_factory=Counter)
    statuses: Counter[tuple[str, int]] = field(default_factory=Counter)

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

    def keep_rotated(self, shot: Shot, response: httpx2.Response) -> None:
        """Registration updates and refreshes rotate what they used: later requests get the new ones."""
        if response.status_code != 200 or shot.method not in ("POST", "PUT"):
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

        mark, before = self.log_mark(), self.sent[area]
        fuzz_area()
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
        say(f"  {area:<10} {state.sent[area]:>5}   " + "  ".join(f"{status}: {n}" for status, n in row))
    say(f"reproduce with: SPARK_FUZZ_SEED={SEED} pytest tests/e2e/test_fuzz.py")
    state.http.close()
    state.session.close()


def test_fuzz_mcp_endpoints(fuzz: Fuzz) -> None:
    fuzz.run("mcp", mcp_shots(fuzz.secrets), check_mcp)


def test_fuzz_client_registration(fuzz: Fuzz) -> None:
    fuzz.run("register", registration_shots(fuzz.secrets), check_oauth_json)


def test_fuzz_token_and_revocation_endpoints(fuzz: Fuzz) -> None:
    fuzz.run("token", token_shots(fuzz.secrets), check_oauth_json)


def test_fuzz_authorize_endpoint(fuzz: Fuzz) -> None:
    fuzz.run("authorize", authorize_shots(fuzz.secrets, fuzz.server.mcp_url), check_authorize)
