#!/usr/bin/env python3
"""Onboard a member, create a token for a job, and export last week's audit trail, through Spark
Portal's management API alone (docs/api.md). Standard library only: copy it anywhere.

    SPARK_TOKEN=spk_… python3 onboard_and_export.py --url https://spark.example.com --org acme \\
        --invite new.person@acme.example --job "weekly report" --out audit-last-week.jsonl

SPARK_TOKEN is a personal access token of an admin of the organization, with the org:admin scope.
The new job token is printed once (store it in your secret manager); Spark keeps only a digest.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import urllib.error
import urllib.parse
import urllib.request
from typing import Any


class Spark:
    def __init__(self, url: str, token: str) -> None:
        if urllib.parse.urlsplit(url).scheme not in ("https", "http"):
            raise SystemExit(f"--url must be an http(s) address, not {url!r}")
        self.base = url.rstrip("/") + "/api/v1"
        self.token = token

    def _request(self, method: str, path: str, body: Any = None) -> urllib.request.Request:
        data = json.dumps(body).encode() if body is not None else None
        headers = {"Authorization": f"Bearer {self.token}", "Accept": "application/json"}
        if data is not None:
            headers["Content-Type"] = "application/json"
        return urllib.request.Request(self.base + path, data=data, method=method, headers=headers)  # noqa: S310 (http(s) checked above)

    def call(self, method: str, path: str, body: Any = None) -> Any:
        try:
            with urllib.request.urlopen(self._request(method, path, body), timeout=30) as response:  # noqa: S310
                return json.loads(response.read() or b"null")
        except urllib.error.HTTPError as error:
            problem = json.loads(error.read() or b"{}")  # RFC 9457: detail says why, in the portal's words
            raise SystemExit(f"{method} {path}: {error.code} {problem.get('detail', error.reason)}") from None

    def download(self, path: str, out: str) -> int:
        """Stream a file answer to `out`; returns how many lines it had."""
        lines = 0
        request = self._request("GET", path)
        with urllib.request.urlopen(request, timeout=120) as response, open(out, "wb") as file:  # noqa: S310
            for line in response:
                file.write(line)
                lines += 1
        return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True, help="Spark Portal's address, e.g. https://spark.example.com")
    parser.add_argument("--org", required=True, help="The organization's slug.")
    parser.add_argument("--invite", required=True, help="Email address of the person to onboard.")
    parser.add_argument("--job", default="weekly report", help="Name of the token to create for a job.")
    parser.add_argument("--out", default="audit-last-week.jsonl", help="Where to write the audit trail.")
    args = parser.parse_args()
    token = os.environ.get("SPARK_TOKEN") or sys.exit("Set SPARK_TOKEN to an org admin's token (org:admin).")
    spark = Spark(args.url, token)

    me = spark.call("GET", "/me")
    print(f"Signed in as {me['email']}")

    invited = spark.call("POST", f"/organizations/{args.org}/members", {"email": args.invite, "role": "member"})
    mailed = "emailed" if invited["emailed"] else "NOT emailed (mail server refused; resend later)"
    print(f"Invited {invited['email']} ({mailed}), link valid until {invited['expires_at']}")

    scopes = ["insights:read"]  # the job asks Spark MCP; add dataset:<code> scopes to let it see datasets
    job = spark.call("POST", f"/me/tokens?organization={args.org}", {"name": args.job, "days": 30, "scopes": scopes})
    print(f"Created token {job['prefix']}… '{job['name']}', expires {job['expires_at']}; the secret, once:")
    print(job["secret"])

    today = dt.date.today()
    since, until = today - dt.timedelta(days=6), today  # the last seven days, today included
    query = urllib.parse.urlencode({"since": since.isoformat(), "until": until.isoformat(), "as": "jsonl"})
    count = spark.download(f"/organizations/{args.org}/audit-events/export?{query}", args.out)
    print(f"Wrote {count} audit events from {since} to {until} to {args.out}")


if __name__ == "__main__":
    main()
