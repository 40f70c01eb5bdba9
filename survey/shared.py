"""The shared data store: every data version published once, for every app server, and which one
of each dataset is active.

It is an object store reached through obstore: an S3-compatible bucket (`s3://bucket/prefix`) for
several hosts, or a local folder (`file:///…`, also a shared mount). Its layout:

    datasets/<code>/<version-id>/<file>            a version's files, never written again
    datasets/<code>/<version-id>/MANIFEST.json     written last: each file's size and SHA-256
    active/<code>                                  {"version": …, "published_at": …}

A version is uploaded whole, its manifest last, before the pointer names it. An app server pulls
the active version into its own data folder (`survey.versions`, through a staging folder), checks
every file against the manifest, and only then switches to it; so a host serves the version it had
or the new one complete, never part of one. The pointer is the one place that says which version
is active: publishing replaces it (one atomic write), the last publisher wins.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import obstore
from obstore.store import LocalStore, S3Store

from survey.versions import is_version_id, made_at

if TYPE_CHECKING:  # typed dictionaries of obstore's stubs only
    from obstore.store import ClientConfig, S3Config

MANIFEST = "MANIFEST.json"
DATASETS = "datasets"
ACTIVE = "active"
_CHUNK = 8 * 1024 * 1024


class StoreProblem(RuntimeError):
    """The shared store holds something unusable: a version without its manifest, or a file that
    does not match it."""


@dataclass(frozen=True)
class Active:
    """A dataset's active version, as its pointer in the shared store says."""

    version: str
    published_at: dt.datetime


@dataclass(frozen=True)
class Stored:
    """One version in the shared store, and why it is kept (or "" when it can be removed)."""

    id: str
    current: bool
    why_kept: str


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(_CHUNK):
            digest.update(block)
    return digest.hexdigest()


class SharedStore:
    """One shared store. Credentials for S3 come from the usual AWS_* environment variables."""

    def __init__(self, url: str, *, endpoint: str = "", region: str = "", timeout_seconds: float = 30.0) -> None:
        self.url = url
        parts = urlsplit(url)
        self.local: Path | None = Path(parts.path) if parts.scheme == "file" else None
        self.store: LocalStore | S3Store
        if self.local is not None:
            self.store = LocalStore(self.local, mkdir=True)
            return
        options: ClientConfig = {"timeout": f"{timeout_seconds}s", "connect_timeout": "5s"}
        config: S3Config = {}
        if endpoint:
            config["endpoint"] = endpoint
            options["allow_http"] = endpoint.startswith("http://")
        if region:
            config["region"] = region
        self.store = S3Store.from_url(url, config=config, client_options=options)

    def describe(self) -> str:
        """Where the store is, for people (never credentials: those are not in the URL)."""
        return self.url

    # --- publishing -------------------------------------------------------------------------

    def upload(self, code: str, version_id: str, folder: Path) -> None:
        """Copy a complete version's files up, then its manifest (the mark that it is whole)."""
        files = sorted(p for p in folder.iterdir() if p.is_file())
        manifest = {"files": {p.name: {"size": p.stat().st_size, "sha256": _sha256(p)} for p in files}}
        prefix = f"{DATASETS}/{code}/{version_id}"
        for file in files:
            if not self._link(file, prefix):
                obstore.put(self.store, f"{prefix}/{file.name}", file)
        obstore.put(self.store, f"{prefix}/{MANIFEST}", json.dumps(manifest).encode())

    def _link(self, file: Path, prefix: str) -> bool:
        """In a folder store on the same file system, a hard link instead of a copy (a version's files
        are never written again), so one server's default store does not double its data on disk."""
        if self.local is None:
            return False
        target = self.local / prefix / file.name
        temporary = target.with_name(f".{file.name}.{os.getpid()}")
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            os.link(file, temporary)
        except OSError:  # another file system: copy
            return False
        os.replace(temporary, target)
        return True

    def set_current(self, code: str, version_id: str, now: dt.datetime | None = None) -> None:
        moment = (now or dt.datetime.now(dt.UTC)).isoformat()
        pointer = {"version": version_id, "published_at": moment}
        obstore.put(self.store, f"{ACTIVE}/{code}", json.dumps(pointer).encode())

    # --- reading ----------------------------------------------------------------------------

    def current(self, code: str) -> Active | None:
        try:
            raw = bytes(obstore.get(self.store, f"{ACTIVE}/{code}").bytes())
        except FileNotFoundError:
            return None
        pointer = json.loads(raw)
        return Active(str(pointer["version"]), dt.datetime.fromisoformat(pointer["published_at"]))

    def currents(self) -> dict[str, Active]:
        """Every dataset's active version: one listing, then one small read per pointer."""
        codes = [str(meta["path"]).rsplit("/", 1)[-1] for meta in _objects(self.store, ACTIVE)]
        found = {code: self.current(code) for code in sorted(codes)}
        return {code: active for code, active in found.items() if active is not None}

    def download(self, code: str, version_id: str, into: Path) -> None:
        """Write a version's files into `into`, each checked against the manifest."""
        prefix = f"{DATASETS}/{code}/{version_id}"
        try:
            manifest = json.loads(bytes(obstore.get(self.store, f"{prefix}/{MANIFEST}").bytes()))
        except FileNotFoundError:
            raise StoreProblem(f"data version {version_id} of {code} is not complete in the shared store") from None
        for name, expected in manifest["files"].items():
            target = into / Path(name).name  # a name from the store never leaves the folder
            digest = hashlib.sha256()
            with target.open("wb") as handle:
                for chunk in obstore.get(self.store, f"{prefix}/{name}").stream(min_chunk_size=_CHUNK):
                    handle.write(chunk)
                    digest.update(chunk)
            if target.stat().st_size != expected["size"] or digest.hexdigest() != expected["sha256"]:
                raise StoreProblem(f"{name} of data version {version_id} of {code} does not match its manifest")

    def codes(self) -> list[str]:
        """Every dataset with versions in the store."""
        listed = obstore.list_with_delimiter(self.store, DATASETS)
        return sorted(prefix.rstrip("/").rsplit("/", 1)[-1] for prefix in listed["common_prefixes"])

    def version_ids(self, code: str) -> list[str]:
        listed = obstore.list_with_delimiter(self.store, f"{DATASETS}/{code}")
        names = (prefix.rstrip("/").rsplit("/", 1)[-1] for prefix in listed["common_prefixes"])
        return sorted(name for name in names if is_version_id(name))

    # --- retention --------------------------------------------------------------------------

    def pending(self, code: str, grace: dt.timedelta, now: dt.datetime | None = None, keep: int = 0) -> list[Stored]:
        """The versions other than the active one, each with why it is kept ("" when it can go).

        Hosts pull only the active version, so another one is needed only while a host may still
        be pulling it: until the active one has been active for the grace period. A version newer
        than that is kept for the grace period from its making (its upload may be under way). The
        `keep` newest versions older than the active one are kept whatever their age."""
        moment = now or dt.datetime.now(dt.UTC)
        active = self.current(code)
        others = [v for v in self.version_ids(code) if active is None or v != active.version]
        older = [v for v in others if active is None or v < active.version]
        kept = set(older[len(older) - keep :]) if keep > 0 else set()
        found = []
        for version_id in others:
            if version_id in kept:
                why = f"one of the {keep} previous versions kept"
            elif active is not None and moment - active.published_at < grace:
                why = "the active version was published less than the grace period ago"
            elif moment - made_at(version_id) < grace:
                why = "made less than the grace period ago (it may still be uploading)"
            else:
                why = ""
            found.append(Stored(version_id, False, why))
        return found

    def prune(self, code: str, grace: dt.timedelta, now: dt.datetime | None = None, keep: int = 0) -> list[str]:
        """Remove the versions `pending` says can go; returns their IDs."""
        removed = []
        for stored in self.pending(code, grace, now, keep):
            if not stored.why_kept:
                self._remove(code, stored.id)
                removed.append(stored.id)
        return removed

    def remove_dataset(self, code: str) -> list[str]:
        """Remove a dataset whole: its pointer first (no host pulls it from then on), then every
        version. Returns the version IDs removed."""
        with contextlib.suppress(FileNotFoundError):
            obstore.delete(self.store, f"{ACTIVE}/{code}")
        found = self.version_ids(code)
        for version_id in found:
            self._remove(code, version_id)
        if self.local is not None:
            _remove_empty(self.local / DATASETS / code)
        return found

    def _remove(self, code: str, version_id: str) -> None:
        prefix = f"{DATASETS}/{code}/{version_id}"
        with contextlib.suppress(FileNotFoundError):  # an upload that never finished has none
            obstore.delete(self.store, f"{prefix}/{MANIFEST}")  # first: it is no longer whole
        paths = [str(meta["path"]) for meta in _objects(self.store, prefix)]
        if paths:
            obstore.delete(self.store, paths)
        if self.local is not None:  # a local folder keeps its empty directories
            _remove_empty(self.local / prefix)


def _objects(store: Any, prefix: str) -> Iterable[Any]:
    for batch in obstore.list(store, prefix):
        yield from batch


def _remove_empty(folder: Path) -> None:
    with contextlib.suppress(OSError):  # not empty, or already gone
        os.rmdir(folder)
