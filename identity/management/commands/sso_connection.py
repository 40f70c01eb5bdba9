"""Operators manage organizations' single sign-on from the shell (the console does the same)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.models import Organization
from identity import services
from identity.models import ConnectionKind, IdentityConnection
from identity.selectors import connection_urls, linked_people, next_provider_id

EXAMPLES = """examples:
  manage.py sso_connection urls --org acme --oidc          (what to register at the IdP first)
  manage.py sso_connection add --org acme --oidc --name "Acme Okta" --issuer https://acme.okta.com \\
      --client-id 0oa... --client-secret -                  (- reads the secret from stdin)
  manage.py sso_connection add --org acme --saml --name "Acme Entra ID" --metadata-url https://...
  manage.py sso_connection list [--org acme]
  manage.py sso_connection disable acme-oidc | enable acme-oidc | remove acme-oidc
  manage.py sso_connection require --org acme --on | --off
"""


def _base_url(options: dict[str, Any]) -> str:
    return str(options.get("base_url") or settings.SPARK_PUBLIC_URL or "http://127.0.0.1:8000").rstrip("/")


class Command(BaseCommand):
    help = "Add, list, turn on/off and remove organizations' identity provider connections (SSO)."

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        parser.epilog = EXAMPLES
        return parser

    def add_arguments(self, parser: CommandParser) -> None:
        parser.formatter_class = argparse.RawDescriptionHelpFormatter
        parser.add_argument("action", choices=["add", "list", "urls", "remove", "enable", "disable", "require"])
        parser.add_argument("provider_id", nargs="?", help="The connection (for remove, enable, disable).")
        parser.add_argument("--org", help="Organization slug.")
        kind = parser.add_mutually_exclusive_group()
        kind.add_argument("--oidc", action="store_true", help="An OpenID Connect identity provider.")
        kind.add_argument("--saml", action="store_true", help="A SAML 2.0 identity provider.")
        parser.add_argument("--name", help="What people see when signing in (default: '<organization> SSO').")
        parser.add_argument("--issuer", help="OIDC issuer URL.")
        parser.add_argument("--client-id", help="OIDC client ID.")
        parser.add_argument("--client-secret", help="OIDC client secret; '-' reads it from stdin.")
        parser.add_argument("--metadata-url", default="", help="SAML: the IdP metadata URL.")
        parser.add_argument("--metadata-file", help="SAML: a file holding the IdP metadata XML.")
        switch = parser.add_mutually_exclusive_group()
        switch.add_argument("--on", action="store_true", help="require: turn Require SSO on.")
        switch.add_argument("--off", action="store_true", help="require: turn Require SSO off.")
        parser.add_argument("--base-url", help="Spark Portal's public URL for printed URLs (default SPARK_PUBLIC_URL).")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        try:
            getattr(self, f"_{action}")(options)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None

    def _org(self, options: dict[str, Any]) -> Organization:
        if not options.get("org"):
            raise CommandError("--org <slug> is required.")
        organization = Organization.objects.filter(slug=options["org"]).first()
        if organization is None:
            raise CommandError(f"No organization with slug {options['org']!r}.")
        return organization

    def _kind(self, options: dict[str, Any]) -> str:
        if not (options["oidc"] or options["saml"]):
            raise CommandError("Say --oidc or --saml.")
        return ConnectionKind.OIDC if options["oidc"] else ConnectionKind.SAML

    def _connection(self, options: dict[str, Any]) -> IdentityConnection:
        found = IdentityConnection.objects.filter(provider_id=options.get("provider_id") or "").first()
        if found is None:
            raise CommandError("Name an existing connection (see `sso_connection list`).")
        return found

    def _print_urls(self, connection_kind: str, provider_id: str, options: dict[str, Any]) -> None:
        urls = connection_urls(_base_url(options), connection_kind, provider_id)
        labels = [
            ("redirect_uri", "Redirect URI"),
            ("acs", "ACS (reply) URL"),
            ("entity_id", "SP entity ID"),
            ("metadata", "SP metadata URL"),
            ("login", "Sign-in URL"),
        ]
        for field, label in labels:
            if value := getattr(urls, field):
                self.stdout.write(f"  {label}: {value}")

    def _urls(self, options: dict[str, Any]) -> None:
        organization, kind = self._org(options), self._kind(options)
        provider_id = next_provider_id(organization, kind)
        self.stdout.write(f"The next {kind.upper()} connection of {organization.slug} will be {provider_id}:")
        self._print_urls(kind, provider_id, options)

    def _secret(self, options: dict[str, Any]) -> str:
        secret = options.get("client_secret") or ""
        return sys.stdin.readline().strip() if secret == "-" else secret

    def _add(self, options: dict[str, Any]) -> None:
        organization, kind = self._org(options), self._kind(options)
        name = options.get("name") or f"{organization.name} SSO"[:40]
        if kind == ConnectionKind.OIDC:
            connection = services.connection_create_oidc(
                organization=organization,
                name=name,
                issuer=options.get("issuer") or "",
                client_id=options.get("client_id") or "",
                client_secret=self._secret(options),
                actor=None,
                origin=None,
            )
        else:
            xml = Path(options["metadata_file"]).read_text() if options.get("metadata_file") else ""
            connection = services.connection_create_saml(
                organization=organization,
                name=name,
                metadata_url=options["metadata_url"],
                metadata_xml=xml,
                actor=None,
                origin=None,
            )
        self.stdout.write(f"Connected {connection.name} for {organization.name}. Give the IdP:")
        self._print_urls(connection.kind, connection.provider_id, options)
        self.stdout.write(connection.provider_id)

    def _list(self, options: dict[str, Any]) -> None:
        connections = IdentityConnection.objects.select_related("organization").order_by("organization__slug", "pk")
        if options.get("org"):
            connections = connections.filter(organization=self._org(options))
        for c in connections:
            state = "on" if c.enabled else "off"
            required = " (SSO required)" if c.organization.require_sso else ""
            self.stdout.write(
                f"{c.provider_id}\t{c.organization.slug}{required}\t{c.kind}\t{state}\t{c.name}\t"
                f"{linked_people(c)} linked"
            )

    def _remove(self, options: dict[str, Any]) -> None:
        connection = self._connection(options)
        linked = services.connection_delete(connection=connection, actor=None, origin=None)
        self.stdout.write(f"Removed {connection.provider_id} ({linked} linked people now sign in another way).")

    def _enable(self, options: dict[str, Any]) -> None:
        connection = services.connection_set_enabled(
            connection=self._connection(options), enabled=True, actor=None, origin=None
        )
        self.stdout.write(f"{connection.provider_id} is on.")

    def _disable(self, options: dict[str, Any]) -> None:
        connection = services.connection_set_enabled(
            connection=self._connection(options), enabled=False, actor=None, origin=None
        )
        self.stdout.write(f"{connection.provider_id} is off.")

    def _require(self, options: dict[str, Any]) -> None:
        organization = self._org(options)
        if not (options["on"] or options["off"]):
            raise CommandError("Say --on or --off.")
        services.organization_require_sso_set(
            organization=organization, required=options["on"], actor=None, origin=None, require_proven=False
        )
        state = "requires" if organization.require_sso else "does not require"
        self.stdout.write(f"{organization.name} {state} single sign-on.")
