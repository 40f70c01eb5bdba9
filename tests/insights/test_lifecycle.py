"""`manage.py dataset list|retire|restore|remove` and the same for staff in the Django admin: remove
refuses while organizations hold the dataset unless told to take it from them (each organization's
audit trail says so), then deletes its row and its data here and in the shared data store."""

from __future__ import annotations

from collections.abc import Iterator
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from accounts.models import User
from audit.models import AuditEvent
from catalog.models import Dataset
from insights import store
from insights.models import SavedAudience
from tests.factories import PASSWORD, World
from tests.insights.test_visibility import PRIVATE, import_cordial


@pytest.fixture
def data(settings, tmp_path: Path, insights_dir: str) -> Iterator[Path]:
    """A data folder of the test's own (the shipped datasets linked from the session's) and a shared
    store of its own."""
    folder = tmp_path / "insights"
    folder.mkdir()
    for code in ("ds-core", "ds-usa-deep", "ds-gaming"):
        (folder / code).symlink_to(Path(insights_dir) / code)
    settings.SPARK_INSIGHTS_DIR = str(folder)
    settings.SPARK_DATA_STORE = (tmp_path / "shared").as_uri()
    store.forget()
    yield tmp_path
    store.forget()


@pytest.fixture
def staff(world: World) -> Client:
    person = User.objects.create_user(email="staff@spark.example", password=PASSWORD, is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(person)
    return client


def _dataset(*args: str) -> str:
    out = StringIO()
    call_command("dataset", *args, stdout=out)
    return out.getvalue()


def test_list_shows_each_dataset_with_its_state_organizations_versions_and_size(data: Path, world: World) -> None:
    import_cordial(data, PRIVATE, "--assign-to", "acme", "--assign-to", "globex")
    _dataset("retire", "ds-gaming")
    lines = {line.split()[0]: line for line in _dataset("list").splitlines()}
    assert set(lines) == {"ds-core", "ds-cordial", "ds-gaming", "ds-usa-deep"}
    cordial = lines[PRIVATE]
    assert "Cordial panel  private  active  organizations: 2 (acme, globex)" in cordial
    version = store.current_version(PRIVATE)
    assert f"versions here: 1 (current {version})" in cordial and "in the shared store: 1" in cordial
    assert "size here: 0.0" not in cordial and " kB" in cordial  # 600 respondents
    assert "  catalog  retired  organizations: 1 (globex)" in lines["ds-gaming"]


def test_remove_refuses_while_organizations_hold_it_then_takes_it_from_them_and_deletes_its_data(
    data: Path, world: World
) -> None:
    import_cordial(data, PRIVATE, "--assign-to", "acme", "--assign-to", "globex")
    dataset = Dataset.objects.get(code=PRIVATE)
    SavedAudience.objects.create(
        organization=world.acme, dataset=dataset, name="Young", expression={"audience": "gen_z"}
    )
    version = store.current_version(PRIVATE)
    assert store.shared().version_ids(PRIVATE) == [version]

    with pytest.raises(CommandError, match=r"ds-cordial is held by 2 organizations \(acme, globex\)"):
        _dataset("remove", PRIVATE)
    assert Dataset.objects.filter(code=PRIVATE).exists() and store.is_built(PRIVATE)  # nothing changed

    said = _dataset("remove", PRIVATE, "--take-from-organizations")
    assert "taken from acme" in said and "taken from globex" in said and "1 saved audience(s)" in said
    assert "removed, with 1 data version(s) here and 1 in the shared data store" in said
    assert not Dataset.objects.filter(code=PRIVATE).exists() and not SavedAudience.objects.exists()
    assert not store.folder(PRIVATE).exists()
    assert store.shared().version_ids(PRIVATE) == [] and store.shared().current(PRIVATE) is None
    taken = AuditEvent.objects.filter(action="dataset.taken").order_by("organization__slug")
    assert [(e.organization.slug, e.actor, e.detail["dataset"]) for e in taken] == [  # type: ignore[union-attr]
        ("acme", None, PRIVATE),
        ("globex", None, PRIVATE),
    ]
    removed = AuditEvent.objects.get(action="dataset.removed")
    assert removed.organization is None and removed.detail["taken_from"] == ["acme", "globex"]
    assert removed.detail["saved_audiences"] == 1
    with pytest.raises(CommandError, match="There is no dataset ds-cordial"):
        _dataset("remove", PRIVATE)


def test_a_dataset_nobody_holds_is_removed_without_the_flag_and_a_shipped_one_never(data: Path, world: World) -> None:
    import_cordial(data, PRIVATE)
    assert "removed" in _dataset("remove", PRIVATE)
    assert not Dataset.objects.filter(code=PRIVATE).exists()
    with pytest.raises(CommandError, match="ds-core ships with Spark Portal"):
        _dataset("remove", "ds-core", "--take-from-organizations")
    assert world.acme.datasets.filter(code="ds-core").exists()


def test_staff_retire_restore_and_remove_in_the_admin_after_confirming(data: Path, world: World, staff: Client) -> None:
    import_cordial(data, PRIVATE, "--assign-to", "acme")
    dataset = Dataset.objects.get(code=PRIVATE)
    changelist = "/admin/catalog/dataset/"
    chosen = {"_selected_action": [dataset.pk]}
    person = User.objects.get(email="staff@spark.example")

    confirm = staff.post(changelist, {**chosen, "action": "retire_datasets"})
    assert confirm.status_code == 200 and "no longer be offered" in confirm.content.decode()
    assert Dataset.objects.get(pk=dataset.pk).retired_at is None  # not before confirming
    staff.post(changelist, {**chosen, "action": "retire_datasets", "post": "yes"})
    assert Dataset.objects.get(pk=dataset.pk).retired_at is not None
    assert PRIVATE in staff.get(f"{changelist}?state=retired").content.decode()
    assert PRIVATE not in staff.get(f"{changelist}?state=active").content.decode()
    assert AuditEvent.objects.get(action="dataset.retired").actor == person
    staff.post(changelist, {**chosen, "action": "restore_datasets", "post": "yes"})
    assert Dataset.objects.get(pk=dataset.pk).retired_at is None
    assert AuditEvent.objects.get(action="dataset.restored").actor == person

    confirm = staff.post(changelist, {**chosen, "action": "remove_datasets"})
    page = confirm.content.decode()
    assert "held by 1 organization: Acme" in page and "take_from_organizations" in page
    refused = staff.post(changelist, {**chosen, "action": "remove_datasets", "post": "yes"}, follow=True)
    assert "Not removed: ds-cordial is held by 1 organization (acme)" in refused.content.decode()
    assert Dataset.objects.filter(pk=dataset.pk).exists()
    staff.post(changelist, {**chosen, "action": "remove_datasets", "post": "yes", "take_from_organizations": "yes"})
    assert not Dataset.objects.filter(pk=dataset.pk).exists() and not store.folder(PRIVATE).exists()
    assert AuditEvent.objects.get(action="dataset.taken").actor == person
    assert AuditEvent.objects.get(action="dataset.removed").actor == person


def test_the_admin_deletes_no_dataset_behind_the_lifecycle(world: World, staff: Client) -> None:
    dataset = Dataset.objects.get(code="ds-gaming")
    assert staff.post(f"/admin/catalog/dataset/{dataset.pk}/delete/", {"post": "yes"}).status_code == 403
    assert Dataset.objects.filter(pk=dataset.pk).exists()
