"""Every CSV we write is inert in a spreadsheet: a text cell a spreadsheet would run as a formula
(a lead's name "=HYPERLINK(…)" typed into the public trial form) starts with an apostrophe;
names, numbers, dates, amounts and E.164 phones come out as they are (club.spreadsheets)."""

import csv
import datetime as dt
import io
from decimal import Decimal
from io import StringIO
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from django.core.management import call_command
from django.urls import reverse
from wagtail.log_actions import log

from club.spreadsheets import csv_cell
from memberships.models import Membership, Payment
from tests.factories import MemberFactory, MembershipFactory, PaymentFactory, UserFactory

AMSTERDAM = ZoneInfo("Europe/Amsterdam")  # Downtown's clock
HOSTILE = '=HYPERLINK("http://evil.example","x")'


def download(client, user, url, **params) -> list[list[str]]:
    client.force_login(user)
    response = client.get(url, {"export": "csv", **params})
    assert response.status_code == 200
    body = (
        b"".join(response.streaming_content) if response.streaming else response.content
    ).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(body)))


@pytest.fixture
def hostile(downtown):
    """A lead whose first name is a formula, as the public trial form takes it."""
    return MemberFactory(
        home_club=downtown, status="lead", first_name=HOSTILE, last_name="Lead", phone=""
    )


# --- the rule ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [HOSTILE, "+cmd|' /C calc'!A0", "-2+3+cmd|' /C calc'!A0", "@SUM(1+1)*cmd|' /C calc'!A0",
     "\t=1+1", "\r=1+1", "-", "+31 6 12345678 =1", "=1"],
)  # fmt: skip
def test_a_text_a_spreadsheet_would_run_gets_an_apostrophe(text):
    assert csv_cell(text) == "'" + text


@pytest.mark.parametrize(
    "value",
    ["Maya Jansen", "", "2026-11-23 00:30", "+31612345678", "-12.50", "12", "O'Neill", "a=b",
     -12.5, Decimal("-12.50"), 7, None, dt.date(2026, 11, 23), True],
)  # fmt: skip
def test_anything_else_is_written_unchanged(value):
    assert csv_cell(value) is value


# --- Wagtail list exports (every ClubScopedViewSet's index view) --------------------------


def test_the_members_download_writes_a_formula_name_as_text(
    client, frozen_clock, max, maya, hostile
):
    rows = download(client, max, reverse("members:index"))

    by_email = {row[3]: row for row in rows[1:]}
    assert by_email[hostile.email][0] == f"'{HOSTILE} Lead"
    # Maya's name, her E.164 phone (a plain number: no apostrophe) and her date as they are.
    name, status, phone, _, _, _, club, created = by_email[maya.email]
    assert (name, status, phone, club) == ("Maya Jansen", "Member", "+31612345678", "Downtown")
    assert created == maya.created_at.astimezone(AMSTERDAM).strftime("%Y-%m-%d %H:%M")


def test_the_members_xlsx_keeps_the_name_as_it_was_typed(client, max, hostile):
    # XLSX cells are text, which Wagtail writes as such: no apostrophe needed.
    client.force_login(max)
    response = client.get(reverse("members:index"), {"export": "xlsx"})
    book = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    cell = book.active["A2"]
    assert (cell.value, cell.data_type) == (f"{HOSTILE} Lead", "s")


def test_the_memberships_download_writes_formula_names_as_text(
    client, frozen_clock, max, maya, hostile, monthly_plan
):
    MembershipFactory(member=hostile, plan=monthly_plan, start=dt.date(2026, 11, 20))
    Membership.objects.update(price_paid=Decimal("49.00"))
    monthly_plan.name = "-Monthly+cmd|' /C calc'!A0"
    monthly_plan.save()

    rows = download(client, max, reverse("memberships:index"))

    by_member = {row[0]: row for row in rows[1:]}
    assert by_member[f"'{HOSTILE} Lead"][2] == f"'{monthly_plan.name}"
    assert by_member["Maya Jansen"][3:5] == ["2026-11-13", "2026-12-12"]
    assert by_member["Maya Jansen"][7] == "49.00"


def test_the_payments_download_writes_a_formula_name_as_text(
    client, frozen_clock, max, maya, hostile
):
    for member in (maya, hostile):
        PaymentFactory(
            member=member,
            amount=Decimal("49.00"),
            currency="EUR",
            method=Payment.Method.CASH,
            at=dt.datetime(2026, 11, 22, 23, 30, tzinfo=dt.UTC),
        )

    rows = download(client, max, reverse("payments:index"))

    assert sorted(row[1:] for row in rows[1:]) == [
        [f"'{HOSTILE} Lead", "Downtown", "49.00", "EUR", "Cash", "Paid"],
        ["Maya Jansen", "Downtown", "49.00", "EUR", "Cash", "Paid"],
    ]
    assert {row[0] for row in rows[1:]} == {"2026-11-23 00:30"}


# --- Site history (Wagtail's audit log report, superusers only) --------------------------


def test_the_site_history_csv_writes_a_formula_name_as_text(client, max, maya, hostile):
    log(instance=hostile, action="wagtail.edit", user=max, content_changed=True)
    log(instance=maya, action="wagtail.edit", user=max, content_changed=True)
    root = UserFactory(username="root", is_superuser=True)

    rows = download(client, root, reverse("wagtailadmin_reports:site_history"))

    labels = {row[1] for row in rows[1:]}
    assert {f"'{HOSTILE} Lead", "Maya Jansen"} <= labels


# --- Analytics: the dashboard's tables and renewal_report ---------------------------------


@pytest.fixture
def hostile_plan_ended(frozen_clock, downtown, monthly_plan):
    """A plan named like a formula (plans are named by staff), with one membership ended in
    October and not renewed."""
    monthly_plan.name = HOSTILE
    monthly_plan.save()
    member = MemberFactory(home_club=downtown)
    MembershipFactory(
        member=member, plan=monthly_plan, start=dt.date(2026, 9, 16), end=dt.date(2026, 10, 15)
    )
    return monthly_plan


def test_the_dashboards_csv_writes_a_formula_plan_as_text(client, max, hostile_plan_ended):
    client.force_login(max)

    response = client.get(
        "/admin/analytics/renewal/", {"export": "renewal_by_plan", "format": "csv"}
    )

    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["Plan", "Due", "Renewed"]
    assert rows[1][:3] == [f"'{HOSTILE}", "1", "0"]
    assert rows[1][6] == "0.0"  # Rate %: a number as it was


def test_renewal_report_csv_writes_a_formula_plan_as_text(hostile_plan_ended):
    out = StringIO()
    call_command("renewal_report", "--from=2026-10-01", "--to=2026-10-31", "--by=plan", stdout=out)

    rows = list(csv.reader(io.StringIO(out.getvalue())))
    assert rows == [
        ["plan", "opportunities", "renewed", "early", "on_time", "late", "rate", "ci_low",
         "ci_high"],
        [f"'{HOSTILE}", "1", "0", "0", "0", "0", "0.0000", "0.0000", "0.7935"],
    ]  # fmt: skip


def test_the_dashboards_xlsx_stores_a_formula_plan_as_text(client, max, hostile_plan_ended):
    client.force_login(max)

    response = client.get(
        "/admin/analytics/renewal/", {"export": "renewal_by_plan", "format": "xlsx"}
    )

    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    plan, due = sheet["A2"], sheet["B2"]
    # tablib's escape drops the "=": text, never a formula; the figures stay numbers.
    assert (plan.data_type, plan.value) == ("s", HOSTILE.removeprefix("="))
    assert due.value == 1
