"""The back-office Memberships and Payments lists download as CSV or XLSX: the rows of the
user's clubs as the list filters them, in plain words, for the roles that download members."""

import csv
import datetime as dt
import io
from decimal import Decimal

import openpyxl
import pytest
from django.urls import reverse

from club import clock
from memberships.models import Membership, Payment
from tests.factories import MemberFactory, MembershipFactory, PaymentFactory, PlanFactory

TODAY = dt.date(2026, 11, 23)


def export(client, user, url_name, export_format="csv", **params) -> list[list[str]]:
    client.force_login(user)
    response = client.get(reverse(url_name), {"export": export_format, **params})
    assert response.status_code == 200
    name = url_name.split(":")[0]
    assert response["Content-Disposition"] == f'attachment; filename="{name}.{export_format}"'
    if export_format == "xlsx":
        book = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
        return [list(row) for row in book.active.iter_rows(values_only=True)]
    body = b"".join(response.streaming_content)
    # With a byte-order mark, as every CSV download: Excel then reads it as UTF-8.
    assert body.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


@pytest.fixture
def rita(riverside):
    """Another club's member, with a membership and a payment: never in Downtown's files."""
    member = MemberFactory(home_club=riverside, first_name="Rita", last_name="Riverside")
    membership = MembershipFactory(
        member=member, plan=PlanFactory(club=riverside, name="River Monthly")
    )
    PaymentFactory(member=member, membership=membership)
    return member


@pytest.mark.parametrize("persona", ["max", "mia"])
def test_the_memberships_of_the_users_clubs_download_in_plain_words(
    client, request, frozen_clock, maya, tom_berg, rita, persona
):
    Membership.objects.filter(member=maya).update(price_paid=Decimal("49.00"))
    Membership.objects.filter(member=tom_berg).update(price_paid=Decimal("45.50"))

    rows = export(client, request.getfixturevalue(persona), "memberships:index")

    assert rows[0] == [
        "Member", "Club", "Plan", "Start", "End", "Status", "Visits left", "Price"
    ]  # fmt: skip
    assert sorted(rows[1:]) == [
        ["Maya Jansen", "Downtown", "Monthly", "2026-11-13", "2026-12-12", "Active", "", "49.00"],
        # stored "Active", but it ran out: as the list reads it
        ["Tom Berg", "Downtown", "Monthly", "2026-10-05", "2026-11-03", "Ended", "", "45.50"],
    ]


def test_the_memberships_download_is_the_filtered_list(client, frozen_clock, max, maya, tom_berg):
    Membership.objects.filter(member=tom_berg).update(status=Membership.Status.CANCELLED)

    rows = export(client, max, "memberships:index", status="cancelled")
    searched = export(client, max, "memberships:index", q="maya")

    assert [row[0] for row in rows[1:]] == ["Tom Berg"]
    assert [row[0] for row in searched[1:]] == ["Maya Jansen"]


def test_the_status_filter_reads_each_membership_as_the_list_shows_it_today(
    client, frozen_clock, max, maya, tom_berg, downtown
):
    # Tom's month ran out (stored "active"); Noor's starts next week; Lena's is unpaid
    noor = MemberFactory(home_club=downtown, first_name="Noor", last_name="Later")
    MembershipFactory(member=noor, start=TODAY + dt.timedelta(days=7))
    lena = MemberFactory(home_club=downtown, first_name="Lena", last_name="Laat")
    MembershipFactory(member=lena, status=Membership.Status.PAST_DUE)

    def listed(state):
        rows = export(client, max, "memberships:index", status=state)
        return sorted((row[0], row[5]) for row in rows[1:])

    assert listed("active") == [("Maya Jansen", "Active")]
    assert listed("ended") == [("Tom Berg", "Ended")]
    assert listed("upcoming") == [("Noor Later", "Upcoming")]
    assert listed("past_due") == [("Lena Laat", "Unpaid")]
    client.force_login(max)
    page = client.get(reverse("memberships:index"), {"status": "active"})
    assert [m.member.first_name for m in page.context["object_list"]] == ["Maya"]
    assert client.get(reverse("memberships:index"), {"status": "nonsense"}).status_code == 200


def test_payments_download_with_the_date_on_the_clubs_clock(client, frozen_clock, max, maya, rita):
    paid = PaymentFactory(
        member=maya,
        membership=maya.memberships.get(),
        amount=Decimal("49.00"),
        currency="EUR",
        method=Payment.Method.CASH,
        at=dt.datetime(2026, 11, 22, 23, 30, tzinfo=dt.UTC),  # Monday 00:30 in Amsterdam
    )

    rows = export(client, max, "payments:index")
    sheet = export(client, max, "payments:index", "xlsx")

    assert rows == [
        ["Date", "Member", "Club", "Amount", "Currency", "Method", "Status"],
        ["2026-11-23 00:30", "Maya Jansen", "Downtown", "49.00", "EUR", "Cash", "Paid"],
    ]
    assert sheet[0][0] == "Date" and sheet[1][:2] == ["2026-11-23 00:30", "Maya Jansen"]
    assert Decimal(str(sheet[1][3])) == paid.amount


def test_the_payments_download_is_the_filtered_list(client, frozen_clock, max, maya, downtown):
    lena = MemberFactory(home_club=downtown, first_name="Lena", last_name="Laat")
    PaymentFactory(member=maya, membership=None, status=Payment.Status.SUCCEEDED)
    PaymentFactory(member=lena, membership=None, status=Payment.Status.FAILED)
    PaymentFactory(
        member=lena,
        membership=None,
        status=Payment.Status.FAILED,
        at=clock.now() - dt.timedelta(days=40),
    )

    failed = export(client, max, "payments:index", status="failed")
    failed_lately = export(
        client,
        max,
        "payments:index",
        status="failed",
        at_from=(TODAY - dt.timedelta(days=7)).isoformat(),
    )

    assert [(row[1], row[6]) for row in failed[1:]] == [("Lena Laat", "Failed")] * 2
    assert len(failed_lately) == 2  # the header and the recent one


@pytest.mark.parametrize("url_name", ["memberships:index", "payments:index"])
def test_the_lists_offer_the_download_to_a_manager(client, max, maya, url_name):
    client.force_login(max)

    html = client.get(reverse(url_name)).content.decode()

    assert "export=csv" in html and "export=xlsx" in html


@pytest.mark.parametrize("url_name", ["memberships:index", "payments:index"])
def test_the_front_desk_reads_the_lists_but_gets_no_download(client, fiona, maya, url_name):
    client.force_login(fiona)

    listing = client.get(reverse(url_name))
    download = client.get(reverse(url_name), {"export": "csv"})

    assert listing.status_code == 200 and "export=csv" not in listing.content.decode()
    # Wagtail's permission-denied answer: back to the dashboard, with no file.
    assert download.status_code == 302 and download["Location"] == reverse("wagtailadmin_home")
    assert "Content-Disposition" not in download


@pytest.mark.parametrize(
    ("persona", "url_name"),
    [("tom", "memberships:index"), ("tom", "payments:index"), ("mia", "payments:index")],
)
def test_who_may_not_read_a_list_gets_no_download_of_it(client, request, maya, persona, url_name):
    client.force_login(request.getfixturevalue(persona))

    download = client.get(reverse(url_name), {"export": "xlsx"})

    assert download.status_code in (302, 403)
    assert "Content-Disposition" not in download
