"""The one JSON parser every entry point uses (size, depth, RFC 8259), the check for text no
database can store, and row IDs that fit a database integer."""

from __future__ import annotations

import pytest

from spark_portal.untrusted import MAX_DEPTH, JsonRefused, json_depth, parse_json, row_id, unstorable_at


def _nested(depth: int) -> str:
    return '{"a": ' * depth + "1" + "}" * depth


@pytest.mark.parametrize(
    ("text", "depth"),
    [
        ("1", 0),
        ("[]", 1),
        ('[[1, "[[[[{{{{"], {"a": {}}]', 3),  # brackets inside strings do not count
        ('["\\"[[[", [2]]', 2),  # nor after an escaped quote
        ("]]]]", 0),
        ("[" * 100_000, 100_000),
    ],
)
def test_depth_is_measured_on_the_text(text: str, depth: int) -> None:
    assert json_depth(text) == depth


def test_the_depth_limit_is_exact() -> None:
    assert parse_json(_nested(MAX_DEPTH), max_bytes=10_000) is not None
    with pytest.raises(JsonRefused, match=f"more than {MAX_DEPTH} levels deep"):
        parse_json(_nested(MAX_DEPTH + 1), max_bytes=10_000)


def test_nesting_past_the_interpreters_recursion_is_refused_before_parsing() -> None:
    with pytest.raises(JsonRefused, match="levels deep"):
        parse_json("[" * 200_000 + "]" * 200_000, max_bytes=1_000_000)


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (b"x" * 10_001, "larger than 10000 bytes"),
        (b'"\xff"', "not UTF-8"),
        (b"[NaN]", "no NaN or Infinity"),
        (b"-Infinity", "no NaN or Infinity"),
        (b"1" * 5_000, "not valid JSON"),  # more digits than Python reads back (4,300)
        (b"{", "not valid JSON"),
        (b"\xef\xbb\xbf{}", "not valid JSON"),  # a byte order mark
    ],
)
def test_what_is_not_json_is_refused_saying_why(body: bytes, words: str) -> None:
    with pytest.raises(JsonRefused, match=words):
        parse_json(body, max_bytes=10_000)


def test_an_encoded_lone_surrogate_is_read_for_the_caller_to_name() -> None:
    value = parse_json(b'{"displayName": "\xed\xa0\x80"}', max_bytes=100)
    found = unstorable_at(value)
    assert found is not None and found.dotted == "displayName" and found.words == "a lone surrogate (U+D800)"


@pytest.mark.parametrize(
    ("value", "dotted", "words"),
    [
        ({"name": {"givenName": "A\ud800"}}, "name.givenName", "a lone surrogate (U+D800)"),
        ({"emails": [{"value": "ok"}, {"value": "x\x00"}]}, "emails[1].value", "a NUL character"),
        ({"a": 1, "k\x00": "fine"}, "k\\u0000", "a NUL character"),  # keys too, escaped to be shown
        ("\udfff", "", "a lone surrogate (U+DFFF)"),
    ],
)
def test_unstorable_text_is_found_with_where_it_is(value: object, dotted: str, words: str) -> None:
    found = unstorable_at(value)
    assert found is not None
    assert (found.dotted, found.words) == (dotted, words)


def test_storable_text_passes_whatever_its_script() -> None:
    assert unstorable_at({"name": "Zoë 李 😀 \u202e", "list": [1, None, True, 2.5]}) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12", 12),
        ("0", 0),
        ("9" * 18, int("9" * 18)),
        ("9" * 19, None),
        ("²", None),
        ("١", None),
        ("-1", None),
        (" 1", None),
        ("", None),
    ],
)
def test_row_ids_are_ascii_digits_that_fit_a_64_bit_integer(text: str, expected: int | None) -> None:
    assert row_id(text) == expected
