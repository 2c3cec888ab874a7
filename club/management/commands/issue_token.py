"""Issue an API token from a script: the token alone goes to stdout, for the setup to keep."""

from django.core.management.base import BaseCommand, CommandError, CommandParser
from wagtail.log_actions import log

from club.models import Club, Integration


class Command(BaseCommand):
    help = (
        "Create an integration (a turnstile, the website) and print its API token. "
        "The token is shown only this once; the database keeps a hash of it."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--club", required=True, help="the club's slug")
        parser.add_argument("--name", required=True, help='e.g. "Main entrance turnstile"')
        parser.add_argument(
            "--scope",
            dest="scopes",
            action="append",
            required=True,
            choices=Integration.Scope.values,
            help="what the token may do; repeat for more than one",
        )

    def handle(self, *, club: str, name: str, scopes: list[str], **options):
        name = name.strip()
        if not name:
            raise CommandError("--name is empty: say which device or site holds the token.")
        found = Club.objects.filter(slug=club).first()
        if found is None:
            known = ", ".join(Club.objects.values_list("slug", flat=True)) or "none"
            raise CommandError(f"No club with the slug {club!r} (known: {known}).")
        if clash := Integration.name_clash(found, name):
            raise CommandError(clash)
        integration, token = Integration.issue(club=found, name=name, scopes=sorted(set(scopes)))
        # In the audit log as the screen's are, with no user: it came from a script.
        log(instance=integration, action="wagtail.create", content_changed=True)
        self.stderr.write(
            f"Issued a token for {integration} with scopes {', '.join(integration.scopes)}. "
            "Store it now: it cannot be shown again."
        )
        self.stdout.write(token)
