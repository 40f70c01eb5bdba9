"""Saved audiences: org admins save them from the console; members and outsiders get 404."""

from __future__ import annotations

from django.test import Client

from audit.models import AuditEvent
from catalog.models import Dataset
from insights.models import SavedAudience
from tests.factories import World


def test_org_admins_save_audiences_and_outsiders_get_404(client: Client, world: World) -> None:

    client.force_login(world.admin)
    core = Dataset.objects.get(code="ds-core")
    response = client.post(
        "/org/acme/audiences/",
        {
            "dataset": core.pk,
            "name": "Young women gamers",
            "predefined": "gen_z",
            "gender": "female",
            "datapoint": "interests.gaming",
        },
    )
    assert response.status_code == 302
    saved = SavedAudience.objects.get(organization=world.acme)
    assert saved.expression == {"and": [{"audience": "gen_z"}, {"gender": "female"}, {"datapoint": "interests.gaming"}]}
    assert AuditEvent.objects.filter(action="audience.created", actor=world.admin).exists()
    bad = client.post(
        "/org/acme/audiences/", {"dataset": core.pk, "name": "x", "expression": '{"datapoint": "nope.x"}'}
    )
    assert bad.status_code == 400 and "no datapoint" in bad.content.decode()
    client.force_login(world.member)  # a member, not an admin
    assert client.get("/org/acme/audiences/").status_code == 403
    client.force_login(world.outsider)
    assert client.post("/org/acme/audiences/", {"dataset": core.pk, "name": "y", "gender": "male"}).status_code == 403


def test_an_expression_nested_past_the_parsers_limit_is_a_form_error(client: Client, world: World) -> None:
    """A pasted expression is JSON from a person's keyboard: nested 5,000 deep it was a RecursionError (500)."""
    client.force_login(world.admin)
    core = Dataset.objects.get(code="ds-core")
    deep = '{"and": ' + "[" * 5_000 + "]" * 5_000 + "}"
    response = client.post("/org/acme/audiences/", {"dataset": core.pk, "name": "Deep", "expression": deep})
    assert response.status_code == 400
    assert "more than 64 levels deep" in response.content.decode()
    assert not SavedAudience.objects.filter(name="Deep").exists()
