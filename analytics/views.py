"""The renewal dashboard for managers and marketing: parse the filters, build the numbers
(analytics.dashboard), render them or export one table.

Wagtail's admin turns a PermissionDenied into a redirect to its home page; these views
answer other roles with a real 403 instead, as the reports' promise says.
"""

from __future__ import annotations

import datetime as dt

from django import forms
from django.contrib.staticfiles import finders
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.utils.text import slugify

from analytics import dashboard, exports, kpis, panels
from club import clock, roles
from club.admin_access import clubs_for
from club.models import Club
from memberships.models import Plan, label_plan_choices

# Who may see the reports.
REPORTS = (roles.MANAGER, roles.MARKETING)
CHART_JS = "vendor/chart.umd.js"
LONGEST_PERIOD = dt.timedelta(days=3 * 366)


class FilterForm(forms.Form):
    club = forms.ChoiceField()
    start = forms.DateField(label="From", widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label="To", widget=forms.DateInput(attrs={"type": "date"}))
    plan = forms.ModelChoiceField(queryset=None, required=False, empty_label="All plans")

    def __init__(self, data, *, clubs: list[Club], chosen: Club | None):
        """`clubs`: the user's, by name; `chosen`: the one of them `data` names (_filters
        reads both once, and the choices and the cleaned club come from them)."""
        super().__init__(data)
        self.clubs = {club.slug: club for club in clubs}
        self.fields["club"].choices = [(club.slug, club.name) for club in clubs]
        # The plan narrows renewals of paid memberships: a trial plan has none. Any paid plan
        # of the user's clubs is accepted (_carry_plan() turns one of another club than the
        # one chosen into that club's plan of its name, or all plans), but only the chosen
        # club's are offered.
        plan = self.fields["plan"]
        plan.queryset = (
            Plan.objects.filter(club__in=clubs)
            .exclude(kind=Plan.Kind.TRIAL)
            .order_by("club__name", "name")
        )
        # Two clubs' "Monthly" would otherwise read the same in a list of both.
        label_plan_choices(plan, with_club=chosen is None and len(clubs) > 1)
        if chosen is not None:
            plan.choices = [("", plan.empty_label)] + [
                (choice.pk, plan.label_from_instance(choice))
                for choice in plan.queryset.filter(club=chosen)
            ]
        self.notice = self._carry_plan(chosen) if chosen is not None else None

    def _carry_plan(self, chosen: Club) -> str | None:
        """A plan of another of the user's clubs (left in the filter when the club was
        switched) becomes the chosen club's plan of the same name when it has exactly one,
        else all plans; returns the notice saying so. Anything else is left to validation."""
        value = str(self.data.get("plan") or "")
        if not value.isdigit():
            return None
        plans = self.fields["plan"].queryset
        plan = plans.select_related("club").filter(pk=value).first()
        if plan is None or plan.club_id == chosen.pk:
            return None
        same = list(plans.filter(club=chosen, name__iexact=plan.name))
        self.data = self.data.copy()
        other = f"{plan.name} is a plan of {plan.club.name}"
        if len(same) == 1:
            self.data["plan"] = str(same[0].pk)
            return f"Showing {chosen.name}'s {same[0].name}: {other}."
        self.data["plan"] = ""
        return f"{other}, not of {chosen.name}: showing all plans."

    def clean_club(self) -> Club:
        return self.clubs[self.cleaned_data["club"]]

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end and end < start:
            self.add_error("end", "The end of the period is before its start.")
        elif start and end and end - start > LONGEST_PERIOD:
            self.add_error("start", "Choose a period of at most three years.")
        club = data.get("club")
        if start and club and start > clock.today(club):
            # Nobody in it has reached the end yet: a rate would read "0 of 36 renewed".
            self.add_error(
                "start", "The period starts after today: its renewals are not known yet."
            )
        return data


def forbidden(request: HttpRequest) -> HttpResponse:
    return render(request, "analytics/forbidden.html", {"header_title": "Reports"}, status=403)


def _filters(request: HttpRequest) -> FilterForm:
    """The submitted filters, completed with defaults: the first club, the last 12 months."""
    # The user's clubs, read once: the default, the 404, the choices and the cleaned club.
    clubs = list(clubs_for(request.user).order_by("name"))
    data = request.GET.copy()
    if not data.get("club"):
        club = clubs[0] if clubs else None
        data["club"] = club.slug if club else ""
    elif (club := next((c for c in clubs if c.slug == data["club"]), None)) is None:
        # Another club's numbers do not exist for this user.
        raise Http404("No such club.")
    start, end = dashboard.default_period(clock.today(club))
    # A blank date (a cleared field) means the default, not an error.
    if not data.get("start"):
        data["start"] = start.isoformat()
    if not data.get("end"):
        data["end"] = end.isoformat()
    return FilterForm(data, clubs=clubs, chosen=club)


def export_filename(
    table: str, *, club: Club, start: dt.date, end: dt.date, plan: Plan | None
) -> str:
    """`renewal_by_plan-downtown-20251201-20261123-annual`: the table, club, period and the
    plan when one is chosen, slugified (a plan's name is staff's text)."""
    parts = [table, club.slug, f"{start:%Y%m%d}", f"{end:%Y%m%d}"]
    if plan is not None:
        parts.append(plan.name)
    return "-".join(slugify(part) or "plan" for part in parts)


def chart_js_url() -> str | None:
    """Chart.js's URL when `make install` could fetch it from npm; None otherwise."""
    return static(CHART_JS) if finders.find(CHART_JS) else None


def renewal_dashboard(request: HttpRequest) -> HttpResponse:
    if not roles.has_role(request.user, *REPORTS):
        return forbidden(request)
    form = _filters(request)
    context = {
        "form": form,
        "notice": form.notice,
        "header_title": "Renewal",
        "chart_js": chart_js_url(),
    }
    if not form.is_valid():
        return render(request, "analytics/renewal.html", context)
    club, start, end = (
        form.cleaned_data["club"],
        form.cleaned_data["start"],
        form.cleaned_data["end"],
    )
    plan = form.cleaned_data["plan"]
    numbers = dashboard.build(club, start=start, end=end, plan=plan)

    export = request.GET.get("export")
    if export:
        if export not in numbers.tables:
            raise Http404("No such table.")
        format = request.GET.get("format", "csv")
        if format not in exports.FORMATS:
            raise Http404("No such format.")
        filename = export_filename(export, club=club, start=start, end=end, plan=plan)
        return exports.download(numbers.tables[export], format=format, filename=filename)

    # The filters as applied (a plan carried over from another club included), so an export
    # link downloads what the page shows.
    query = form.data.copy()
    query.pop("export", None)
    query.pop("format", None)
    context |= {
        "numbers": numbers,
        "charts": dashboard.charts(numbers),
        "query": query.urlencode(),
        "cohort_rows": [
            (
                row,
                [
                    (row[column.key], dashboard.heat(row[column.key]))
                    for column in numbers.tables["cohorts"].columns[2:]
                ],
            )
            for row in numbers.tables["cohorts"].rows
        ],
    }
    return render(request, "analytics/renewal.html", context)


def key_figures(request: HttpRequest, club: str) -> HttpResponse:
    """One club's key figures for the home page's panel, worked out if the cache has none
    (htmx fills the panel's placeholder with them). Without JavaScript the figures are worked
    out and the browser goes back to the home page, which then shows them."""
    if not roles.has_role(request.user, *REPORTS):
        return forbidden(request)
    found = clubs_for(request.user).filter(slug=club).first()
    if found is None:
        raise Http404("No such club.")
    context = panels.club_context(found, kpis.figures(found))
    if not request.htmx:
        return redirect("wagtailadmin_home")
    return render(request, "analytics/panels/_key_figures.html", context)
