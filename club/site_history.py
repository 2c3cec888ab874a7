"""Wagtail's "Site history" report (/admin/reports/site-history/), for superusers only.

Wagtail shows it to anyone who may use the admin: its rows are every logged change with the
changed row's name as it was then (a member's name, a membership "Monthly for Maya Jansen")
and who made it, across every club, with a CSV export. No role of ours needs that; a row's
own History (scoped like the rest of its screen) answers "who changed this". Scoping the
report per club would mean a subquery per logged model in Wagtail's union, for a report
nobody at a club asked for.
"""

from django.core.exceptions import PermissionDenied
from django.urls import path
from django.views.decorators.cache import never_cache
from wagtail.admin.auth import require_admin_access
from wagtail.admin.views.reports.audit_logging import LogEntriesView

from club.spreadsheets import FormulaSafeCsvMixin


class SiteHistoryView(FormulaSafeCsvMixin, LogEntriesView):
    # Its CSV names members as they were typed (a lead's name from the public form).
    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_superuser:
            # The admin's decorator turns this into its usual "no permission" redirect.
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


def is_shown(user) -> bool:
    """Whether the Reports menu offers the report."""
    return user.is_superuser


def _view(**kwargs):
    return never_cache(require_admin_access(SiteHistoryView.as_view(**kwargs)))


# Mounted before Wagtail's admin URLs (club/urls.py) so these paths reach this view; the
# names stay Wagtail's (`wagtailadmin_reports:site_history`), which reverse to the same paths.
urlpatterns = [
    path("admin/reports/site-history/", _view()),
    path("admin/reports/site-history/results/", _view(results_only=True)),
]
