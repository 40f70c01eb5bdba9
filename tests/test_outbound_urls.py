"""Outbound URLs (SSO discovery, audit streams): a malformed host is a refusal in words, never an error."""

from __future__ import annotations

import pytest

from spark_portal.outbound import url_problem


@pytest.mark.parametrize(
    "url",
    [
        "https://" + "a" * 64 + ".example/hook",  # a DNS label over 63 characters
        "https://.example/hook",  # an empty label
        "https://[::1/hook",  # an unclosed IPv6 literal
        "https://" + "b" * 63 + "." + "c" * 63 + "." + "d" * 63 + "." + "e" * 70 + "/x",
    ],
)
def test_a_malformed_host_is_a_problem_not_an_exception(url: str) -> None:
    problem = url_problem(url, allow_local=False)
    assert problem is not None and "valid host name" in problem


def test_plain_http_is_refused_without_the_local_allowance() -> None:
    assert url_problem("http://example.com/hook", allow_local=False) == "http://example.com/hook does not use https"
