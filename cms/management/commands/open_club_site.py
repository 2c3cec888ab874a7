"""manage.py open_club_site <club-slug> <hostname> [--port]: a club's own public site."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from club.models import Club
from cms import sites
from cms.site_admin import OpenSiteForm


class Command(BaseCommand):
    help = (
        "Open a club's own public site at a host name: a Wagtail site with its own home, "
        "Schedule, Plans, Trainers and Free trial pages, its settings naming the club, "
        "editable by the club's staff. Run again, it reports the site it made."
    )

    def add_arguments(self, parser):
        parser.add_argument("club", help="the club's slug")
        parser.add_argument("hostname")
        parser.add_argument("--port", type=int, default=80)

    def handle(self, *, club: str, hostname: str, port: int, **options) -> None:
        found = Club.objects.filter(slug=club).first()
        if found is None:
            raise CommandError(f"No club with the slug “{club}”.")
        # The screen's checks, so the command refuses what the form refuses.
        form = OpenSiteForm({"hostname": hostname, "port": port})
        if not form.is_valid():
            errors = "; ".join(f"{name}: {' '.join(e)}" for name, e in form.errors.items())
            raise CommandError(errors)
        try:
            site = sites.open_site(
                found, form.cleaned_data["hostname"], port=form.cleaned_data["port"]
            )
        except sites.SiteError as error:
            raise CommandError(f"{error.field}: {error.message}") from error
        self.stdout.write(f"{found.name}: {site.root_url}/ (site {site.pk})")
