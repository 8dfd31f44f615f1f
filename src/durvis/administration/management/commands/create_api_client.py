"""`manage.py create_api_client --institution VSAA --name "Back office" [--operations a,b]`: an
API client for an institution's system, made without the browser (operators, scripts, tests).
The token is printed once, alone on the last line; only its hash is stored."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from durvis.core.actor import OPERATOR
from durvis.identity.queries import institution_by_code
from durvis.integrations import services as integrations
from durvis.integrations.rules import SCOPES


class Command(BaseCommand):
    help = "Create an API client of an institution and print its token once."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--institution", required=True, help="the institution's code")
        parser.add_argument("--name", required=True, help="the name of the system (max. 100)")
        parser.add_argument("--operations", default="",
                            help="comma-separated scopes; all of them when omitted: "
                                 + ", ".join(SCOPES.keys()))

    def handle(self, *args: Any, **options: Any) -> None:
        institution = institution_by_code(options["institution"])
        if institution is None:
            raise CommandError(f"no institution with the code {options['institution']!r}")
        name = options["name"].strip()
        if not name or len(name) > 100:
            raise CommandError("the name must have 1 to 100 characters")
        operations = [o.strip() for o in options["operations"].split(",") if o.strip()]
        try:
            client, token = integrations.create_api_client(
                OPERATOR, institution, name, operations or SCOPES.keys())
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from None
        self.stderr.write(f"API client {client.pk} of {institution.code} with "
                          f"{', '.join(client.operations)}; the token is shown only now:")
        self.stdout.write(token)
