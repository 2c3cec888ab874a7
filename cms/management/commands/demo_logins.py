"""manage.py demo_logins: who to log in as in the demo, and where."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from cms.demo import catalogue, seeding


class Command(BaseCommand):
    help = (
        "Print the demo staff logins (username, role, clubs, password), a member's email for "
        "the portal, and the demo URLs."
    )

    def handle(self, **options) -> None:
        try:
            logins = seeding.staff_logins()
        except seeding.NotDemoData as error:
            raise CommandError(str(error)) from error
        if not logins:
            self.stdout.write("No demo data here: run `python manage.py seed_demo` to create it.")
            return
        rows = [("username", "role", "clubs", "password")] + [
            (login.username, login.role, ", ".join(login.clubs), catalogue.DEMO_PASSWORD)
            for login in logins
        ]
        widths = [max(len(row[i]) for row in rows) for i in range(4)]
        for n, row in enumerate(rows):
            self.stdout.write("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)))
            if n == 0:
                self.stdout.write("  ".join("-" * w for w in widths))
        site = settings.SITE_URL.rstrip("/")
        self.stdout.write("")
        self.stdout.write(f"Back-office: {site}/admin/")
        self.stdout.write(f"Public site: {site}/")
        member = seeding.portal_member()
        if member is not None:
            self.stdout.write(
                f"Member portal: {site}/account/ — sign in as {member.email} "
                f"({member.full_name}, {member.home_club.name}); no password: {link_goes()}"
            )
        self.stdout.write("Demo only: these logins share one password. Never seed production.")


def link_goes() -> str:
    """Where the portal's sign-in link ends up, with the email backend configured."""
    backend = settings.EMAIL_BACKEND
    if backend == "django.core.mail.backends.console.EmailBackend":
        return "the sign-in link is printed in the web server's output (this terminal)."
    if backend == "django.core.mail.backends.filebased.EmailBackend":
        return f"the sign-in link is written to a file in {settings.EMAIL_FILE_PATH}."
    return "the sign-in link is emailed to that address."
