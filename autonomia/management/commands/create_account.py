"""`manage.py create_account --name N --email E --password P [--json]`: provision an account from the shell."""

import json

from django.core.management.base import BaseCommand, CommandError

from autonomia.actions import DomainError, create_account


class Command(BaseCommand):
    help = "Create an account with its first administrator and print its API access token."

    def add_arguments(self, parser):
        parser.add_argument("--name", required=True, help="Account (company) name")
        parser.add_argument("--email", required=True, help="Administrator's email (login)")
        parser.add_argument("--password", required=True, help="Administrator's password")
        parser.add_argument("--user-name", default="", help="Administrator's name (default: from the email)")
        parser.add_argument("--locale", default="pt-br", choices=["pt-br", "en"])
        parser.add_argument("--json", action="store_true", help="Print one JSON line for scripts")

    def handle(self, *args, **options):
        from django.contrib.auth.password_validation import validate_password
        from django.core.exceptions import ValidationError

        try:
            validate_password(options["password"])
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from None
        try:
            result = create_account(name=options["name"], email=options["email"], password=options["password"],
                                    user_name=options["user_name"], locale=options["locale"])
        except DomainError as exc:
            raise CommandError(exc.message) from None
        data = {"account_id": result.account.pk, "user_id": result.user.pk,
                "api_access_token": result.api_access_token}
        if options["json"]:
            self.stdout.write(json.dumps(data))
        else:
            self.stdout.write(self.style.SUCCESS(
                f"Account {result.account.pk} created; administrator {result.user.email}; "
                f"api_access_token {result.api_access_token}"))
