"""The renewal dashboard under /admin/analytics/, in Wagtail's Reports menu for managers and
marketing; their key figures on the home page; the uplift column of campaigns' playbook and
the renewals on a campaign's results."""

from django.urls import include, path, reverse
from wagtail import hooks

from analytics import campaigns, panels, playbook, urls, views
from club import roles
from club.admin_access import RoleMenuItem


@hooks.register("register_admin_urls")
def register_analytics_urls():
    return [path("analytics/", include(urls, namespace="analytics"))]


@hooks.register("register_reports_menu_item")
def register_renewal_report():
    return RoleMenuItem(
        "Renewal",
        reverse("analytics:renewal"),
        shown_to=views.REPORTS,
        icon_name="table",
        order=50,
    )


@hooks.register("construct_homepage_panels")
def add_key_figures_panel(request, home_panels):
    # Those who read the reports: managers and marketing, not the front desk or trainers.
    if roles.has_role(request.user, *views.REPORTS):
        home_panels.append(panels.KeyFiguresPanel())


@hooks.register("construct_playbook_columns")
def add_uplift_column(request, columns, *, clubs, since, until):
    # The uplift is a report: shown to those who may read the reports.
    if roles.has_role(request.user, *views.REPORTS):
        columns.append(playbook.uplift_column(clubs=clubs, since=since, until=until))


@hooks.register("construct_campaign_results")
def add_campaign_renewals(request, campaign, sections, *, clubs):
    if roles.has_role(request.user, *views.REPORTS):
        sections.append(campaigns.RenewalSection(campaign, clubs=clubs))
