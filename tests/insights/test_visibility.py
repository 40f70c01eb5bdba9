"""A private dataset is known only to the organizations given it; tokens follow the organization.

Acme imports a survey whose words appear nowhere else ("quokkaberry cordial", "Zestling"): nothing
any tool, the management API, the console or discovery says to Globex names it, its code or what it
asks. A second organization holding an identical copy is answered from its own copy. A token
created before its organization was given a dataset uses it.
"""

from __future__ import annotations

import random
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client

from accounts.models import Role
from accounts.scopes import ORG_ADMIN_SCOPE, ORG_READ_SCOPE, TOOLS_SCOPE
from catalog.models import Dataset, Visibility
from insights import store
from tests.factories import World, issue
from tests.mcp_api.helpers import call_tool, rpc

CODEBOOK = """
code = "{code}"
name = "{name}"
description = "Quokkaberry cordial drinkers and their Zestling habit"
wave = "Q2 2025"
location_variable = "country"
weight = "wt"
age = "age"
gender = "sex"
female = 2
id = "rid"

[[questions]]
code = "flavour"
column = "flavour"
name = "Quokkaberry cordial flavours preferred"
values = {{ 1 = "Zestling", 2 = "Morrowmint", 3 = "Plumbrack" }}
"""
PRIVATE, COPY = "ds-cordial", "ds-cordial-copy"
NAME = "Cordial panel"
PROMPT = "Which quokkaberry cordial flavours do people in Germany prefer?"
SECRETS = (PRIVATE, NAME, "Quokkaberry cordial flavours preferred", "Zestling", "Morrowmint", "Plumbrack")
"""What Globex must never read: the code, the name, the question and its answers (the prompt's own
lower-case words may come back to it, as any prompt's do)."""


@pytest.fixture
def own_data(settings, tmp_path: Path, insights_dir: str):
    """A data folder with the shipped datasets (linked from the session's) and room for imports."""
    folder = tmp_path / "insights"
    folder.mkdir()
    for code in ("ds-core", "ds-usa-deep", "ds-gaming"):
        (folder / code).symlink_to(Path(insights_dir) / code)
    settings.SPARK_INSIGHTS_DIR = str(folder)
    store.forget()
    yield tmp_path
    store.forget()


def import_cordial(folder: Path, code: str, *extra: str, name: str = NAME) -> str:
    """Import the cordial survey (the same 600 respondents every time) under `code`."""
    rows = ["rid,country,wt,age,sex,flavour"]
    rng = random.Random(7)
    for rid in range(600):
        age = rng.randint(18, 70)
        flavour = 1 if rng.random() < (0.7 if age < 35 else 0.25) else rng.choice([2, 3])
        rows.append(f"{rid},{rng.choice(['Germany', 'United Kingdom'])},1.0,{age},{rng.choice([1, 2])},{flavour}")
    (folder / f"{code}.csv").write_text("\n".join(rows) + "\n")
    (folder / f"{code}.toml").write_text(CODEBOOK.format(code=code, name=name))
    out = StringIO()
    call_command(
        "import_survey", str(folder / f"{code}.csv"), "--codebook", str(folder / f"{code}.toml"), *extra, stdout=out
    )
    return out.getvalue()


def _result(response: Any) -> dict[str, Any]:
    assert response.status_code == 200, response.content
    return response.json()["result"]


def _text(result: dict[str, Any]) -> str:
    return " ".join(block.get("text", "") for block in result["content"])


def _leaks(text: str) -> list[str]:
    return [secret for secret in SECRETS if secret.lower() in text.lower() and secret.lower() not in PROMPT.lower()]


def test_an_import_is_private_unless_shared_and_a_new_version_keeps_its_visibility(
    own_data: Path, world: World
) -> None:
    printed = import_cordial(own_data, PRIVATE, "--assign-to", "acme")
    assert "visibility: Private" in printed
    assert Dataset.objects.get(code=PRIVATE).visibility == Visibility.PRIVATE
    import_cordial(own_data, PRIVATE, "--visibility", "catalog")
    assert Dataset.objects.get(code=PRIVATE).visibility == Visibility.CATALOG
    import_cordial(own_data, PRIVATE)  # a new version, not told: it stays shared
    assert Dataset.objects.get(code=PRIVATE).visibility == Visibility.CATALOG


def test_no_tool_names_a_private_dataset_to_another_organization(own_data: Path, world: World) -> None:
    import_cordial(own_data, PRIVATE, "--assign-to", "acme")
    acme = issue(world.member, world.acme).secret
    answer = _result(call_tool(Client(), acme, "chat_gwi", {"prompt": PROMPT}))["structuredContent"]
    assert [(d["code"], d["name"]) for d in answer["sources"]["datasets"]] == [(PRIVATE, NAME)]  # Acme's answer
    insight = answer["insights"][0]
    globex = issue(world.outsider, world.globex).secret
    said = {
        "chat_gwi": _result(call_tool(Client(), globex, "chat_gwi", {"prompt": PROMPT})),
        "chat_gwi (words only)": _result(call_tool(Client(), globex, "chat_gwi", {"prompt": "quokkaberry cordial"})),
        "explore_insight_gwi": _result(
            call_tool(Client(), globex, "explore_insight_gwi", {"insight_id": insight["id"]})
        ),
        "list_datasets": _result(call_tool(Client(), globex, "list_datasets")),
        "tools/list": _result(rpc(Client(), "tools/list", {}, token=globex)),
        "search_survey": _result(call_tool(Client(), globex, "search_survey", {"query": PROMPT, "limit": 50})),
        "search_survey (every dataset)": _result(call_tool(Client(), globex, "search_survey", {"kind": "dataset"})),
        "search_survey (its answers)": _result(call_tool(Client(), globex, "search_survey", {"query": "Zestling"})),
    }

    def openai(name: str, arguments: dict[str, str]) -> dict[str, Any]:
        call = {"name": name, "arguments": arguments}
        return _result(rpc(Client(), "tools/call", call, token=globex, path="/openai/mcp"))

    said["search"] = openai("search", {"query": PROMPT})
    for tool, result in said.items():
        assert _leaks(str(result)) == [], tool
    # fetch repeats the id it was given: a private dataset's code is answered as one that does not exist.
    fetched = _text(openai("fetch", {"id": PRIVATE})).replace(PRIVATE, "CODE")
    assert fetched == _text(openai("fetch", {"id": "ds-nothing-here"})).replace("ds-nothing-here", "CODE")
    # query_survey repeats the code it was given too, and answers it as a dataset this token may not use
    for code in (PRIVATE, "ds-nothing-here"):
        asked = _result(call_tool(Client(), globex, "query_survey", {"dataset": code, "question": "flavour"}))
        assert asked["isError"] and _leaks(_text(asked).replace(code, "CODE")) == []
    assert said["chat_gwi"]["isError"] is True  # Globex has no such topic: it is told so, in its own terms
    assert "does not cover" in _text(said["chat_gwi"])


def test_a_shared_dataset_is_named_to_an_organization_that_lacks_it(own_data: Path, world: World) -> None:
    import_cordial(own_data, PRIVATE, "--assign-to", "acme", "--visibility", "catalog")
    result = _result(call_tool(Client(), issue(world.outsider, world.globex).secret, "chat_gwi", {"prompt": PROMPT}))
    assert f"is in the {NAME} dataset ({PRIVATE}), which is not in your organization's datasets" in _text(result)


def test_an_identical_copy_answers_its_own_organization_and_never_names_the_first(own_data: Path, world: World) -> None:
    import_cordial(own_data, PRIVATE, "--assign-to", "acme")
    before = issue(world.outsider, world.globex).secret  # created before Globex has its copy
    narrowed = issue(world.outsider, world.globex, scopes=[TOOLS_SCOPE, "dataset:ds-gaming"], all_datasets=False)
    import_cordial(own_data, COPY, "--assign-to", "globex", name="Globex cordial study")
    answer = _result(call_tool(Client(), before, "chat_gwi", {"prompt": PROMPT}))
    assert not answer.get("isError"), _text(answer)
    assert [(d["code"], d["name"]) for d in answer["structuredContent"]["sources"]["datasets"]] == [
        (COPY, "Globex cordial study")
    ]
    refused = _text(_result(call_tool(Client(), narrowed.secret, "chat_gwi", {"prompt": PROMPT})))
    assert f"is in the Globex cordial study dataset ({COPY}), which your organization has but this token" in refused
    # Globex's own copy asks the same question in the same words; Acme's dataset is never named.
    assert PRIVATE not in refused.replace(COPY, "") and NAME not in refused


def test_discovery_the_management_api_and_the_console_never_name_a_private_dataset(
    own_data: Path, world: World
) -> None:
    import_cordial(own_data, PRIVATE, "--assign-to", "acme")
    documents = [
        "/.well-known/oauth-authorization-server",
        "/.well-known/oauth-protected-resource",
        "/.well-known/oauth-protected-resource/mcp",
        "/.well-known/oauth-protected-resource/openai/mcp",
    ]
    for path in documents:
        supported = Client().get(path).json()["scopes_supported"]
        assert supported == ["dataset:ds-core", "dataset:ds-gaming", "dataset:ds-usa-deep", "insights:read"], path
    admin = issue(world.outsider, world.globex, scopes=[ORG_READ_SCOPE, ORG_ADMIN_SCOPE]).secret
    api = Client(HTTP_AUTHORIZATION=f"Bearer {admin}")

    def attempts(code: str) -> list[tuple[int, str]]:
        audience = {"name": "x", "dataset": code, "expression": {"audience": "gen_z"}}
        answers = [
            api.post("/api/v1/organizations/globex/audiences", audience, content_type="application/json"),
            api.post(
                "/api/v1/me/tokens", {"name": "x", "scopes": [f"dataset:{code}"]}, content_type="application/json"
            ),
        ]
        return [(a.status_code, repr({**a.json(), "request_id": ""}).replace(code, "CODE")) for a in answers]

    assert attempts(PRIVATE) == attempts("ds-nothing-here")
    assert _leaks(api.get("/api/v1/organizations/globex").content.decode()) == []
    console = Client()
    console.force_login(world.outsider)
    assert world.outsider.memberships.get().role == Role.ADMIN
    for page in ["/settings/tokens/", "/org/globex/", "/org/globex/audiences/", "/org/globex/people-access/"]:
        response = console.get(page)
        assert response.status_code == 200, page
        assert _leaks(response.content.decode()) == [], page


def test_a_token_created_before_its_organization_got_a_dataset_uses_it(own_data: Path, world: World) -> None:
    token = issue(world.member, world.acme).secret
    import_cordial(own_data, PRIVATE, "--assign-to", "acme")
    listed = _result(call_tool(Client(), token, "list_datasets"))["structuredContent"]["datasets"]
    assert PRIVATE in [d["code"] for d in listed]
    answer = _result(call_tool(Client(), token, "chat_gwi", {"prompt": PROMPT}))
    assert not answer.get("isError"), _text(answer)
    assert [(d["code"], d["name"]) for d in answer["structuredContent"]["sources"]["datasets"]] == [(PRIVATE, NAME)]
