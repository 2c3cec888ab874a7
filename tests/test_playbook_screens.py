"""The lifecycle screens: the playbook with its counts, the rule editor with its preview and
reach, the dry runs, the menu, and who may see what.

The clock is frozen at Monday 23 Nov 2026 18:00 in Amsterdam. Holdout is switched off in the
default playbook, so that a member's id cannot decide a test.
"""

import datetime as dt
import html
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from campaigns.backoffice import views
from campaigns.models import Rule, Touchpoint
from club import clock, roles
from club.admin_access import scope
from members.consent import set_consent
from members.models import Member
from tests.factories import MemberFactory, MembershipFactory, PlanFactory, UserFactory

TODAY = dt.date(2026, 11, 23)
OK, FORBIDDEN, NOT_FOUND = "ok", "forbidden", "not found"
Status, Reason = Touchpoint.Status, Touchpoint.Reason


def local(day: dt.date, hh: int, mm: int = 0) -> dt.datetime:
    return clock.local_datetime(day, dt.time(hh, mm))


def text(response) -> str:
    """The page's visible text with tags dropped and whitespace collapsed."""
    assert response.status_code == 200, response.status_code
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


def outcome(response) -> str:
    if response.status_code == 302 and response["Location"] == reverse("wagtailadmin_home"):
        return FORBIDDEN
    if response.status_code in (200, 302):
        return OK
    return {404: NOT_FOUND}.get(response.status_code, str(response.status_code))


@pytest.fixture(autouse=True)
def no_holdout(db):
    Rule.objects.update(holdout_percent=0)


@pytest.fixture
def reminder(db) -> Rule:
    return Rule.objects.get(number=15)


@pytest.fixture
def rosa(riverside):
    """Marketing at Riverside: the playbook is hers too, Downtown's members are not."""
    return UserFactory(username="rosa", clubs=[riverside], roles=[roles.MARKETING])


@pytest.fixture
def superuser(db):
    return UserFactory(username="root", is_superuser=True)


# --- the playbook ---------------------------------------------------------------------


def touchpoint(
    rule,
    member,
    status,
    *,
    reason="",
    days_ago=1,
    created_days_ago=None,
    n=[0],  # noqa: B006
):
    """Due `days_ago` (negative: ahead), written then too unless `created_days_ago` says."""
    n[0] += 1
    at = clock.now() - dt.timedelta(days=days_ago)
    created = at if created_days_ago is None else clock.now() - dt.timedelta(created_days_ago)
    return Touchpoint.objects.create(
        rule=rule,
        member=member,
        club=member.home_club,
        occurrence_key=f"test:{n[0]}",
        channel=rule.channel,
        status=status,
        reason=reason,
        due_at=at,
        send_at=at,
        explanation="test",
        created_at=created,
    )


@pytest.fixture
def history(frozen_clock, reminder, maya, riverside):
    """Rule 15's touchpoints of the last weeks at Downtown, one older, and one at Riverside."""
    for status, reason, times in [
        (Status.SCHEDULED, "", 2),
        (Status.SENDING, "", 1),
        (Status.SENT, "", 3),
        (Status.DELIVERED, "", 2),
        (Status.FAILED, "", 1),
        (Status.SUPPRESSED, Reason.NO_CONSENT, 2),
        (Status.SUPPRESSED, Reason.FREQUENCY_CAP, 1),
        (Status.HELD_OUT, "", 1),
        (Status.CANCELLED, Reason.OBSOLETE, 1),
    ]:
        for _ in range(times):
            touchpoint(reminder, maya, status, reason=reason)
    touchpoint(reminder, maya, Status.SENT, days_ago=40)
    touchpoint(reminder, MemberFactory(home_club=riverside), Status.SENT)
    touchpoint(Rule.objects.get(number=20), maya, Status.DELIVERED)


def test_the_playbook_counts_each_rules_touchpoints_by_outcome(client, history, mia, reminder):
    client.force_login(mia)

    response = client.get(reverse("playbook:index"))

    rows = {row["rule"].number: row for row in response.context["rows"]}
    counts = rows[15]["counts"]
    assert (
        counts.scheduled,
        counts.sent,
        counts.delivered,
        counts.failed,
        counts.held_out,
        counts.cancelled,
    ) == (3, 5, 2, 1, 1, 1)
    assert counts.suppressed == {"No consent": 2, "Frequency cap": 1}
    assert (rows[20]["counts"].sent, rows[20]["counts"].delivered) == (1, 1)
    assert rows[14]["counts"].sent == 0
    assert len(rows) == 22
    html = text(response)
    assert (
        "Touchpoints due in the last 30 days at Downtown, and those scheduled for the coming "
        "days." in html
    )
    assert "no consent 2 · frequency cap 1" in html  # the most first
    assert (
        "7 days before a membership longer than 14 days ends, if not renewed · transactional"
        in html
    )


@pytest.mark.parametrize(("days", "sent"), [(7, 5), (30, 5), (90, 6)])
def test_the_period_filter(client, history, mia, days, sent):
    client.force_login(mia)

    response = client.get(reverse("playbook:index"), {"days": days})

    rows = {row["rule"].number: row for row in response.context["rows"]}
    assert rows[15]["counts"].sent == sent


@pytest.mark.parametrize(
    ("params", "selected"),
    [({"reach": "1"}, "30"), ({}, "30"), ({"days": "7", "reach": "1"}, "7"), ({"days": "x"}, None)],
)
def test_the_period_select_shows_the_period_counted(client, history, mia, params, selected):
    # "Count this week's reach" from the default page asks "?reach=1": the select stayed on
    # its first choice, 7 days, above the counts of 30
    client.force_login(mia)

    response = client.get(reverse("playbook:index"), params)

    html = response.content.decode()
    chosen = re.findall(r'<option value="(\d+)"[^>]*selected', html)
    assert chosen == ([selected] if selected else [])
    counted = 7 if selected == "7" else 30  # a bad period is the default, as before
    assert response.context["days"] == counted


def test_the_period_is_of_touchpoints_due_in_it_as_the_uplift_reads_it(
    client, frozen_clock, mia, maya, reminder
):
    # written 40 days ago, the evaluator a week ahead: due 33 days ago, and 2 days ago
    touchpoint(reminder, maya, Status.SENT, days_ago=33, created_days_ago=40)
    touchpoint(reminder, maya, Status.DELIVERED, days_ago=2, created_days_ago=40)
    touchpoint(reminder, maya, Status.HELD_OUT, days_ago=3, created_days_ago=40)
    # written today: due earlier than the period (a catch-up), and in the coming days
    touchpoint(reminder, maya, Status.SENT, days_ago=31, created_days_ago=0)
    touchpoint(reminder, maya, Status.SCHEDULED, days_ago=-3, created_days_ago=0)
    touchpoint(reminder, maya, Status.HELD_OUT, days_ago=-3, created_days_ago=0)
    client.force_login(mia)

    response = client.get(reverse("playbook:index"), {"days": 30})

    counts = {row["rule"].number: row for row in response.context["rows"]}[15]["counts"]
    # the delivered one and the held-out one due in the period; what waits in the week ahead
    assert (counts.sent, counts.delivered, counts.held_out, counts.scheduled) == (1, 1, 1, 1)


def test_the_counts_are_one_grouped_query(history, mia, django_assert_num_queries):
    touchpoints = scope(Touchpoint.objects.all(), mia)

    with django_assert_num_queries(1):
        _, total = views.touchpoint_counts(touchpoints)

    # rule 15's five and the older one, rule 20's one; Riverside's is not ours
    assert total.sent == 7


def test_the_playbook_links_each_rule_to_its_editor_and_dry_run(client, mia, reminder):
    client.force_login(mia)

    html = client.get(reverse("playbook:index")).content.decode()

    assert reverse("playbook:rule_edit", args=[reminder.pk]) in html
    assert reverse("playbook:rule_dry_run", args=[reminder.pk]) in html


def test_the_playbook_counts_this_weeks_reach_on_request(client, frozen_clock, mia, downtown):
    # given Anna's membership ends on Wednesday 2 Dec: rule 15 is due on Wednesday
    anna = MemberFactory(home_club=downtown, first_name="Anna", sms_consent=True)
    MembershipFactory(
        member=anna, plan=PlanFactory(club=downtown, duration_days=365), start=dt.date(2025, 12, 3)
    )
    client.force_login(mia)

    plain = client.get(reverse("playbook:index"))
    counted = client.get(reverse("playbook:index"), {"reach": "1"})

    assert all(row["reach"] is None for row in plain.context["rows"])
    reach = {row["rule"].number: row["reach"] for row in counted.context["rows"]}
    assert reach[15].total == 1


# --- access ---------------------------------------------------------------------------


EXPECTED = {
    #          playbook  editor  preview   rule dry run  member dry run
    "fiona": (FORBIDDEN,) * 5,
    "tom": (FORBIDDEN,) * 5,
    "mia": (OK,) * 5,
    "max": (OK,) * 5,
    "superuser": (OK,) * 5,
    # Olga works Riverside's front desk: not a lifecycle role at all.
    "olga": (FORBIDDEN,) * 5,
    # Rosa does Riverside's marketing: the chain-wide rules are hers too, Maya is not.
    "rosa": (OK, OK, NOT_FOUND, OK, NOT_FOUND),
}


@pytest.mark.parametrize("persona", list(EXPECTED))
def test_permission_matrix(client, request, frozen_clock, maya, reminder, persona):
    client.force_login(request.getfixturevalue(persona))
    urls = [
        reverse("playbook:index"),
        reverse("playbook:rule_edit", args=[reminder.pk]),
        reverse("playbook:rule_preview", args=[reminder.pk]) + f"?member={maya.pk}",
        reverse("playbook:rule_dry_run", args=[reminder.pk]),
        reverse("playbook:member_dry_run", args=[maya.pk]),
    ]

    got = tuple(outcome(client.get(url)) for url in urls)

    assert got == EXPECTED[persona]


def test_a_rule_only_for_another_club_is_not_found(client, mia, reminder, riverside):
    reminder.clubs.set([riverside])
    client.force_login(mia)

    response = client.get(reverse("playbook:rule_edit", args=[reminder.pk]))
    playbook = client.get(reverse("playbook:index"))

    assert response.status_code == 404
    assert 15 not in [row["rule"].number for row in playbook.context["rows"]]


def test_the_dry_run_picker_refuses_another_clubs_member(client, rosa, maya):
    client.force_login(rosa)

    response = client.get(reverse("playbook:dry_run"), {"member": maya.pk})

    assert response.status_code == 404


@pytest.mark.parametrize(
    ("persona", "shown"), [("mia", True), ("max", True), ("fiona", False), ("tom", False)]
)
def test_the_lifecycle_menu_shows_to_marketing_and_managers_only(client, request, persona, shown):
    client.force_login(request.getfixturevalue(persona))

    html = client.get(reverse("wagtailadmin_home")).content.decode()

    assert (reverse("playbook:index") in html) is shown
    assert (reverse("playbook:dry_run") in html) is shown


def test_anonymous_is_sent_to_log_in(client, reminder):
    response = client.get(reverse("playbook:rule_edit", args=[reminder.pk]))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("wagtailadmin_login"))


# --- the rule editor ------------------------------------------------------------------


def parameter_fields(params: dict) -> dict:
    """The editor's parameter fields holding `params`, as a browser posts them."""
    fields = {f"param_{key}": value for key, value in params.items() if value is not False}
    return {name: "on" if value is True else value for name, value in fields.items()}


def form_data(rule: Rule, parameters: dict | None = None, **changes) -> dict:
    """What the editor posts for the rule as it is (its parameters in their fields, or
    `parameters`), with `changes`."""
    data = {
        "number": rule.number,
        "name": rule.name,
        "trigger": rule.trigger,
        **parameter_fields(rule.params if parameters is None else parameters),
        "channel": rule.channel,
        "subject": rule.subject,
        "template": rule.template,
        "stages": rule.stages,
        "plan_kinds": rule.plan_kinds,
        "clubs": [club.pk for club in rule.clubs.all()],
        "priority": rule.priority,
        "holdout_percent": rule.holdout_percent,
    }
    if rule.is_marketing:
        data["is_marketing"] = "on"
    if rule.is_active:
        data["is_active"] = "on"
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def test_the_editor_saves_a_valid_change(client, mia, reminder, downtown):
    client.force_login(mia)

    response = client.post(
        reverse("playbook:rule_edit", args=[reminder.pk]),
        form_data(
            reminder,
            name="Renewal reminder (5 days)",
            param_days=5,
            param_at="09:30",
            stages=["expiring"],
            clubs=[downtown.pk],
            holdout_percent=15,
            number=99,  # not editable: ignored
        ),
    )

    assert response.status_code == 302
    reminder.refresh_from_db()
    assert (reminder.number, reminder.name, reminder.params) == (
        15,
        "Renewal reminder (5 days)",
        {"days": 5, "at": "09:30"},
    )
    assert (reminder.stages, reminder.holdout_percent) == (["expiring"], 15)
    assert list(reminder.clubs.all()) == [downtown]


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"params": '{"day": 7,'}, "params", "Not valid JSON"),
        ({"params": "[7]"}, "params", "Give a JSON object"),
        ({"param_days": ""}, "param_days", "Membership ends soon needs this."),
        ({"params": '{"day": 7}'}, "params", '"day" is not a parameter'),
        ({"params": '{"days": 7}'}, "params", '"days" has its own field'),
        ({"param_days": "seven"}, "param_days", "Enter a whole number."),
        ({"param_days": "-3"}, "param_days", "greater than or equal to 1"),
        ({"param_at": "25:00"}, "param_at", "Enter a time of day as HH:MM"),
        ({"param_at": "10 am"}, "param_at", "Enter a time of day as HH:MM"),
        ({"param_quiet_hours": "sideways"}, "param_quiet_hours", "Select a valid choice"),
        ({"trigger": "moon_phase"}, "trigger", "Select a valid choice"),
        ({"template": "Hi {% if %}"}, "template", "Template error"),
        ({"template": "Hi {{ first_name|shout }}"}, "template", "Template error"),
        ({"template": "{% include 'x.html' %}"}, "template", "cannot include"),
        # Django reads an unclosed tag as text: it would go out as typed
        ({"template": "Hi {{ first_name ,"}, "template", "“{{ first_name ,” is not closed"),
        ({"subject": "Renew {% if x"}, "subject", "is not closed"),
        ({"channel": "email", "subject": ""}, "subject", "An email needs a subject."),
        ({"holdout_percent": 101}, "holdout_percent", "less than or equal to 100"),
    ],
)
def test_bad_input_is_a_field_error_and_changes_nothing(
    client, mia, reminder, changes, field, message
):
    client.force_login(mia)
    before = Rule.objects.filter(pk=reminder.pk).values().get()

    response = client.post(
        reverse("playbook:rule_edit", args=[reminder.pk]),
        form_data(reminder, name="Changed", **changes),
    )

    assert response.status_code == 200
    errors = response.context["form"].errors
    assert list(errors) == [field]
    assert message in " ".join(errors[field])
    assert Rule.objects.filter(pk=reminder.pk).values().get() == before


WE_MISS_YOU_FIELDS = "first_name, last_name, club, club_phone, site_url, days"


def test_a_misspelled_field_is_refused_with_the_fields_the_rule_can_use(
    client, frozen_clock, mia, maya
):
    # given rule 11 ("we miss you"), whose trigger gives the days without a visit
    rule = Rule.objects.prefetch_related("clubs").get(number=11)
    before = Rule.objects.filter(pk=rule.pk).values().get()
    client.force_login(mia)

    response = client.post(
        reverse("playbook:rule_edit", args=[rule.pk]),
        form_data(rule, template="We miss you, {{ frist_name }}!"),
    )

    assert response.context["form"].errors == {
        "template": [
            f'"frist_name" is not a field this rule can use (available: {WE_MISS_YOU_FIELDS}).'
        ]
    }
    assert Rule.objects.filter(pk=rule.pk).values().get() == before
    # the preview beside the form still shows the message as it is saved
    assert "We miss you at Downtown, Maya!" in text(response)


@pytest.mark.parametrize(
    ("template", "error"),
    [
        ("{{ first_name|upper }}, {{ end|date:'j M' }} {{ plan.split|first }}", None),
        ("{% for word in plan.split %}{{ word|lower }} {{ forloop.counter }}{% endfor %}", None),
        ("{% with name=first_name|title %}{{ name }}{% endwith %}", None),
        ("{% if end and not plan %}{{ end.year }}{% endif %}", None),
        ("{{ first_name|default:last_name }}", None),
        ("{% for word in plan.split %}{% endfor %}{{ word }}", '"word" is not'),
        ("{% if frist_name %}Hi{% endif %}", '"frist_name" is not'),
        ("{{ end|date:fmt }}", '"fmt" is not'),
        ("{% for word in plans %}{% endfor %}", '"plans" is not'),
        ("{{ visits_left }} {{ clb }}", '"visits_left", "clb" are not fields'),
    ],
)
def test_templates_may_use_the_rules_fields_with_filters_tags_and_their_own_names(
    client, mia, reminder, template, error
):
    client.force_login(mia)

    response = client.post(
        reverse("playbook:rule_edit", args=[reminder.pk]), form_data(reminder, template=template)
    )

    reminder.refresh_from_db()
    if error is None:
        assert response.status_code == 302, response.context["form"].errors
        assert reminder.template == template
    else:
        assert list(response.context["form"].errors) == ["template"]
        assert error in response.context["form"].errors["template"][0]
        assert reminder.template != template


def test_the_fields_are_those_of_the_trigger_the_form_sets(client, mia, reminder):
    client.force_login(mia)

    # rule 15 reads {{ end }} and {{ plan }}, which a birthday does not give
    response = client.post(
        reverse("playbook:rule_edit", args=[reminder.pk]),
        form_data(reminder, {"at": "10:00"}, trigger="birthday"),
    )

    assert response.context["form"].errors == {
        "template": [
            '"plan", "end" are not fields this rule can use '
            "(available: first_name, last_name, club, club_phone, site_url)."
        ]
    }


def test_an_emails_subject_is_checked_too_an_smss_is_not_sent(client, mia, reminder):
    offer = Rule.objects.prefetch_related("clubs").get(number=14)
    client.force_login(mia)

    email = client.post(
        reverse("playbook:rule_edit", args=[offer.pk]),
        form_data(offer, subject="Renew before {{ end_date|date:'j M' }}"),
    )
    sms = client.post(
        reverse("playbook:rule_edit", args=[reminder.pk]),
        form_data(reminder, subject="Renew before {{ end_date }}"),
    )

    assert email.context["form"].errors == {
        "subject": [
            '"end_date" is not a field this rule can use '
            "(available: first_name, last_name, club, club_phone, site_url, end, plan)."
        ]
    }
    assert sms.status_code == 302


def test_a_new_rule_needs_a_number_of_its_own(client, max, reminder):
    client.force_login(max)
    url = reverse("playbook:rule_add")

    taken = client.post(url, form_data(reminder, name="Copy"))
    added = client.post(url, form_data(reminder, number=115, name="Last call"))

    assert "number" in taken.context["form"].errors
    assert added.status_code == 302
    assert Rule.objects.get(number=115).name == "Last call"


@pytest.mark.parametrize("number", [0, -1])
def test_a_rule_is_numbered_from_one(client, max, reminder, number):
    client.force_login(max)

    response = client.post(
        reverse("playbook:rule_add"), form_data(reminder, number=number, name="Rule zero")
    )

    assert response.status_code == 200
    assert response.context["form"].errors["number"] == [
        "Ensure this value is greater than or equal to 1."
    ]
    assert not Rule.objects.filter(name="Rule zero").exists()


def test_a_new_rule_offers_the_next_number_and_the_usual_holdout(client, max):
    client.force_login(max)
    last = Rule.objects.order_by("-number").first().number

    form = client.get(reverse("playbook:rule_add")).context["form"]

    assert form["number"].value() == last + 1
    assert form["holdout_percent"].value() == 10


EMPTY_VALUE_ERROR = (
    'Template error: the filter "divisibleby" fails on an empty value '
    "(invalid literal for int() with base 10: ''). A field can be empty: give it a default "
    "first, e.g. {{ visits|default:0|divisibleby:2 }}."
)


@pytest.mark.parametrize(
    ("number", "template"),
    [
        (10, "{{ visits|divisibleby:2 }} visits, {{ first_name }}!"),
        (15, "{{ first_name|divisibleby:2 }}"),
    ],
)
def test_a_filter_failing_on_a_value_is_a_field_error_and_keeps_what_was_typed(
    client, frozen_clock, mia, maya, number, template
):
    rule = Rule.objects.prefetch_related("clubs").get(number=number)
    before = Rule.objects.filter(pk=rule.pk).values().get()
    client.force_login(mia)

    response = client.post(
        reverse("playbook:rule_edit", args=[rule.pk]),
        form_data(rule, name="Changed", template=template),
    )

    assert response.status_code == 200
    form = response.context["form"]
    assert form.errors == {"template": [EMPTY_VALUE_ERROR]}
    assert (form["name"].value(), form["template"].value()) == ("Changed", template)
    assert html.escape(template) in response.content.decode()  # still in the text area
    assert Rule.objects.filter(pk=rule.pk).values().get() == before


def test_a_filter_given_a_default_saves(client, mia):
    rule = Rule.objects.prefetch_related("clubs").get(number=10)
    template = "{{ visits|default:0|divisibleby:2 }} visits, {{ first_name }}!"
    client.force_login(mia)

    response = client.post(
        reverse("playbook:rule_edit", args=[rule.pk]), form_data(rule, template=template)
    )

    assert response.status_code == 302
    assert Rule.objects.get(pk=rule.pk).template == template


# --- preview and reach ----------------------------------------------------------------


def test_the_preview_renders_for_a_chosen_member_with_the_segment_count(
    client, frozen_clock, mia, maya, reminder
):
    client.force_login(mia)

    html = text(
        client.get(reverse("playbook:rule_preview", args=[reminder.pk]), {"member": maya.pk})
    )

    assert "Maya, your Monthly at Downtown ends " in html
    assert "SMS: 1 segment · GSM-7" in html
    assert (
        "Fields you can use: first_name , last_name , club , club_phone , site_url , end , plan"
        in html
    )


def test_the_htmx_preview_renders_unsaved_text(client, frozen_clock, mia, maya, reminder):
    client.force_login(mia)

    response = client.get(
        reverse("playbook:rule_preview", args=[reminder.pk]),
        {"member": maya.pk, "template": "Tot ziens {{ first_name }} 👋 " * 10, "channel": "sms"},
        HTTP_HX_REQUEST="true",
    )

    html = text(response)
    assert "Tot ziens Maya 👋" in html
    assert "SMS: 3 segments · UCS-2" in html
    assert "<html" not in response.content.decode()  # just the fragment
    assert Rule.objects.get(pk=reminder.pk).template == reminder.template


def test_the_member_picker_searches_only_our_clubs(
    client, frozen_clock, mia, maya, riverside, reminder
):
    MemberFactory(home_club=riverside, first_name="Maya", last_name="Elsewhere")
    client.force_login(mia)

    response = client.get(reverse("playbook:rule_edit", args=[reminder.pk]), {"q": "maya"})

    assert [m.full_name for m, _ in response.context["found"]] == ["Maya Jansen"]


def test_the_member_picker_tells_two_of_one_name_apart(
    client, frozen_clock, mia, downtown, reminder
):
    # given: two leads called Elif de Vries at Downtown, one with a phone, one with nothing
    with_phone = MemberFactory(
        home_club=downtown,
        first_name="Elif",
        last_name="de Vries",
        phone="+31612345678",
        birth_date=None,
        status=Member.Status.LEAD,
    )
    bare = MemberFactory(
        home_club=downtown, first_name="Elif", last_name="de Vries", phone="",
        birth_date=None, status=Member.Status.LEAD,
    )  # fmt: skip
    client.force_login(mia)

    response = client.get(reverse("playbook:rule_edit", args=[reminder.pk]), {"q": "elif"})

    html = text(response)
    assert "Elif de Vries Lead · phone …678 · Downtown" in html
    assert f"Elif de Vries Lead · no. {bare.pk} · Downtown" in html
    assert len({tuple(details) for _, details in response.context["found"]}) == 2
    assert str(with_phone.phone) not in response.content.decode()  # the last digits, never all


def test_the_picker_numbers_two_who_still_read_alike(client, frozen_clock, mia, downtown, reminder):
    # given: two of one name, born the same day, with no phone: only the number tells them apart
    twins = [
        MemberFactory(
            home_club=downtown, first_name="Elif", last_name="de Vries", phone="",
            birth_date=dt.date(1990, 3, 12),
        )
        for _ in range(2)
    ]  # fmt: skip
    client.force_login(mia)

    response = client.get(reverse("playbook:rule_edit", args=[reminder.pk]), {"q": "elif"})

    details = [" · ".join(d) for _, d in response.context["found"]]
    assert len(set(details)) == 2
    assert all(f"no. {m.pk}" in " ".join(details) for m in twins)


def test_the_picker_reads_the_same_queries_for_one_result_or_many(
    frozen_clock, rf, mia, downtown, django_assert_num_queries
):
    request = rf.get("/")
    request.user = mia
    members = scope(Member.objects.select_related("home_club"), mia)
    MemberFactory(home_club=downtown, first_name="Elif", last_name="Yilmaz")
    with CaptureQueriesContext(connection) as one:
        assert len(views.picker_results(request, members, "elif")) == 1
    MemberFactory.create_batch(4, home_club=downtown, first_name="Elif", last_name="Yilmaz")

    # then five results cost what one did: the user's role is asked once, not per row
    with django_assert_num_queries(len(one.captured_queries)):
        assert len(views.picker_results(request, members, "elif")) == 5


def test_without_contacts_the_picker_shows_no_phone(frozen_clock, rf, downtown):
    # the rule: without roles.SEES_CONTACTS no digit of the phone is shown
    member = MemberFactory(home_club=downtown, phone="+31612345678", birth_date=None)
    request = rf.get("/")
    request.user = UserFactory(username="tina", clubs=[downtown], roles=[roles.TRAINER])

    assert not any("phone" in detail for detail in views.picker_details(request, member))


def test_the_editor_shows_this_weeks_reach_and_previews_someone_it_reaches(
    client, frozen_clock, mia, maya, downtown, reminder
):
    # given Anna's membership ends on Wednesday 2 Dec; Maya's not this week
    anna = MemberFactory(
        home_club=downtown, first_name="Anna", sms_consent=True, phone="+31611111111"
    )
    MembershipFactory(
        member=anna, plan=PlanFactory(club=downtown, duration_days=365), start=dt.date(2025, 12, 3)
    )
    client.force_login(mia)

    response = client.get(reverse("playbook:rule_edit", args=[reminder.pk]))

    html = text(response)
    assert "1 member : 1 will get it, 0 held out, 0 not sent (no consent)." in html
    assert response.context["member"] == anna
    assert "Anna, your " in html


def preview_text(response) -> str:
    return html.unescape(text(response))


@pytest.mark.parametrize("htmx", [True, False])
def test_a_template_failing_on_the_members_values_is_a_preview_error(
    client, frozen_clock, mia, maya, reminder, htmx
):
    # given a template that passes the empty-value check and fails on Maya's first name
    template = "{% if first_name %}{{ first_name|divisibleby:2 }}{% endif %}"
    client.force_login(mia)

    response = client.get(
        reverse("playbook:rule_preview", args=[reminder.pk]),
        {"member": maya.pk, "template": template, "channel": "sms"},
        **({"HTTP_HX_REQUEST": "true"} if htmx else {}),
    )

    assert response.context["problems"] == []
    assert (
        'Template error for Maya: the filter "divisibleby" fails on “Maya” '
        "(invalid literal for int() with base 10: 'Maya')."
    ) in preview_text(response)


def test_a_saved_template_failing_on_values_leaves_the_editor_and_dry_run_working(
    client, frozen_clock, mia, maya, downtown, reminder
):
    # given a template saved before the editor checked it, and someone it reaches this week
    Rule.objects.filter(pk=reminder.pk).update(template="{{ first_name|divisibleby:2 }}")
    anna = MemberFactory(
        home_club=downtown, first_name="Anna", sms_consent=True, phone="+31611111111"
    )
    MembershipFactory(
        member=anna, plan=PlanFactory(club=downtown, duration_days=365), start=dt.date(2025, 12, 3)
    )
    client.force_login(mia)

    editor = client.get(reverse("playbook:rule_edit", args=[reminder.pk]))
    dry_run = client.get(reverse("playbook:rule_dry_run", args=[reminder.pk]))

    assert f"Template: {EMPTY_VALUE_ERROR}" in preview_text(editor)
    assert "1 member : 0 will get it, 0 held out, 1 not sent" in text(editor)
    assert 'not sent: Template error: the filter "divisibleby" fails on “Anna”' in preview_text(
        dry_run
    )


def test_the_live_preview_warns_of_an_unknown_name_as_saving_does(client, frozen_clock, mia, maya):
    rule = Rule.objects.prefetch_related("clubs").get(number=11)
    typo = "We miss you, {{ frist_name }}!"
    client.force_login(mia)
    saving = client.post(
        reverse("playbook:rule_edit", args=[rule.pk]), form_data(rule, template=typo)
    )

    response = client.get(
        reverse("playbook:rule_preview", args=[rule.pk]),
        {"member": maya.pk, "template": typo, "channel": "sms"},
        HTTP_HX_REQUEST="true",
    )

    [message] = saving.context["form"].errors["template"]
    assert message.startswith('"frist_name" is not a field this rule can use (available: ')
    assert response.context["problems"] == [("Template", message)]
    assert f"Template: {message}" in preview_text(response)
    assert "We miss you, !" in preview_text(response)  # what would be sent, as it stands


@pytest.mark.parametrize(
    ("subject", "template", "problems"),
    [
        ("Renew before {{ end|date:'j M' }}", "Hi {{ first_name }}", []),
        ("Renew before {{ end_date }}", "Hi {{ first_name }}", ["Subject"]),
        ("Renew", "Hi {{ frist_name }} {% if %}", ["Template"]),
    ],
)
def test_the_live_preview_checks_an_emails_subject_and_template(
    client, frozen_clock, mia, maya, subject, template, problems
):
    offer = Rule.objects.get(number=14)
    client.force_login(mia)

    response = client.get(
        reverse("playbook:rule_preview", args=[offer.pk]),
        {"member": maya.pk, "subject": subject, "template": template, "channel": "email"},
        HTTP_HX_REQUEST="true",
    )

    assert [label for label, _ in response.context["problems"]] == problems
    assert ("data-preview-problems" in response.content.decode()) == bool(problems)


def test_choosing_a_preview_member_sends_the_unsaved_text_and_renders_it(
    client, frozen_clock, mia, maya, downtown, reminder
):
    anna = MemberFactory(home_club=downtown, first_name="Anna", last_name="Bakker")
    preview_url = reverse("playbook:rule_preview", args=[reminder.pk])
    client.force_login(mia)
    editor = client.get(reverse("playbook:rule_edit", args=[reminder.pk]), {"q": "anna"})

    # the search and the member found are htmx requests that send the editor's texts along
    content = editor.content.decode()
    link = re.search(r'<a href="[^"]*" hx-get="([^"]+)" hx-include="([^"]+)"', content)
    assert link.group(1) == f"{preview_url}?member={anna.pk}"
    texts = "#rule-form [name=subject], #rule-form [name=template], #rule-form [name=channel]"
    assert link.group(2) == f"{texts}, #member-search"
    assert f'hx-get="{preview_url}" hx-include="{texts}, #preview-member"' in content
    assert 'id="rule-form"' in content

    # when htmx sends what was typed with the member chosen
    response = client.get(
        preview_url,
        {"member": anna.pk, "q": "anna", "template": "Unsaved {{ first_name }}", "channel": "sms"},
        HTTP_HX_REQUEST="true",
    )

    assert response.context["member"] == anna
    html_text = text(response)
    assert '<div class="message" data-preview-body>Unsaved Anna</div>' in response.content.decode()
    assert "Anna Bakker" in html_text  # the picker's results stay, folded (see below)
    assert "<html" not in response.content.decode()
    assert Rule.objects.get(pk=reminder.pk).template == reminder.template


def picker(client, reminder, **params):
    response = client.get(
        reverse("playbook:rule_preview", args=[reminder.pk]), params, HTTP_HX_REQUEST="true"
    )
    content = response.content.decode()
    chosen = re.search(r"data-picker-chosen>(.*?)</p>", content, re.DOTALL)
    folded = re.search(r'<details class="picker-more"><summary>([^<]+)</summary>', content)
    return (
        re.sub(r"<[^>]+>|\s+", " ", chosen.group(1)).split() if chosen else None,
        folded.group(1) if folded else None,
        "picker-results" in content,
    )


def test_a_chosen_preview_member_is_named_and_the_results_fold_away(
    client, frozen_clock, mia, downtown, reminder
):
    anna = MemberFactory(
        home_club=downtown, first_name="Anna", last_name="Bakker", birth_date=None, phone=""
    )
    MemberFactory(home_club=downtown, first_name="Annabel", last_name="Smit")
    client.force_login(mia)

    searched = picker(client, reminder, q="anna", find="1", member=anna.pk)
    chose = picker(client, reminder, q="anna", member=anna.pk)

    assert searched == (None, None, True)  # a new search shows its results
    assert chose == (
        # what tells her from another Anna Bakker, as her line in the results says
        ["Chosen:", "Anna", "Bakker", "Lead", "·", "no.", f"{anna.pk}", "·", "Downtown"],
        "2 matches for “anna”",
        True,
    )


def test_a_member_that_cannot_be_chosen_leaves_the_results_open(
    client, frozen_clock, mia, downtown, reminder
):
    MemberFactory(home_club=downtown, first_name="Anna", last_name="Bakker")
    client.force_login(mia)

    assert picker(client, reminder, q="anna", member="x") == (None, None, True)


@pytest.mark.parametrize(("member", "status"), [("x", 200), ("other club", 404)])
def test_the_preview_refuses_a_member_it_cannot_show(
    client, frozen_clock, mia, riverside, reminder, member, status
):
    if member == "other club":
        member = MemberFactory(home_club=riverside).pk
    client.force_login(mia)

    response = client.get(
        reverse("playbook:rule_preview", args=[reminder.pk]),
        {"member": member, "template": "Unsaved {{ first_name }}"},
        HTTP_HX_REQUEST="true",
    )

    assert response.status_code == status
    if status == 200:
        assert "Pick a member to preview the message." in text(response)


# --- dry runs -------------------------------------------------------------------------


@pytest.fixture
def sanne(frozen_clock, downtown):
    """Her annual membership ends in 20 days, on 13 December."""
    member = MemberFactory(
        home_club=downtown,
        status=Member.Status.MEMBER,
        first_name="Sanne",
        last_name="de Wit",
        birth_date=dt.date(1990, 6, 1),
        sms_consent=True,
        email_consent=True,
    )
    annual = PlanFactory(club=downtown, name="Annual", duration_days=365)
    MembershipFactory(member=member, plan=annual, start=dt.date(2025, 12, 14))
    return member


def test_the_member_dry_run_reads_as_plain_language(client, mia, sanne):
    client.force_login(mia)

    html = text(client.get(reverse("playbook:member_dry_run", args=[sanne.pk])))

    assert (
        "Sun 6 Dec, 10:00 — SMS, rule 15 Renewal reminder : 7 days before a membership longer "
        "than 14 days ends, if not renewed (membership ends 13 Dec 2026). Will be sent" in html
    )
    assert html.index("rule 15 Renewal reminder") < html.index("rule 18 Win-back offer")


def test_the_member_dry_run_flags_missing_sms_consent(client, mia, sanne):
    Member.objects.filter(pk=sanne.pk).update(sms_consent=False)  # never asked
    client.force_login(mia)

    html = text(client.get(reverse("playbook:member_dry_run", args=[sanne.pk])))

    assert "(membership ended 13 Dec 2026). Not sent: no SMS consent" in html  # the win-back
    assert (
        "Renewal reminder : 7 days before a membership longer than 14 days ends, if not renewed "
        "(membership ends 13 Dec 2026). Will be sent" in html  # transactional
    )


def test_the_member_dry_run_flags_an_sms_opt_out(client, mia, sanne):
    set_consent(sanne, "sms", granted=False, source="portal")
    client.force_login(mia)

    html = text(client.get(reverse("playbook:member_dry_run", args=[sanne.pk])))

    assert (
        "Renewal reminder : 7 days before a membership longer than 14 days ends, if not renewed "
        "(membership ends 13 Dec 2026). Not sent: opted out of SMS" in html
    )


def test_the_dry_run_picker_finds_a_member_and_opens_their_dry_run(client, mia, sanne):
    client.force_login(mia)

    found = client.get(reverse("playbook:dry_run"), {"q": "sanne"})
    picked = client.get(reverse("playbook:dry_run"), {"member": sanne.pk})

    assert [m for m, _ in found.context["found"]] == [sanne]
    assert picked["Location"] == reverse("playbook:member_dry_run", args=[sanne.pk])


def test_the_rule_dry_run_lists_whom_it_reaches(client, frozen_clock, mia, downtown, reminder):
    anna = MemberFactory(home_club=downtown, first_name="Anna", last_name="Bos", sms_consent=True)
    MembershipFactory(
        member=anna, plan=PlanFactory(club=downtown, duration_days=365), start=dt.date(2025, 12, 3)
    )
    client.force_login(mia)

    html = text(client.get(reverse("playbook:rule_dry_run", args=[reminder.pk])))

    assert "Wed 25 Nov, 10:00 Anna Bos" in html
    assert "will be sent" in html


# --- the home page ----------------------------------------------------------------------


def test_home_page_counts_todays_messages_by_outcome_for_marketing(
    client, frozen_clock, reminder, maya, mia, rosa, fiona, riverside
):
    for status in (Status.DELIVERED, Status.DELIVERED, Status.FAILED, Status.SCHEDULED):
        touchpoint(reminder, maya, status, days_ago=0)
    touchpoint(reminder, maya, Status.DELIVERED, days_ago=1)  # yesterday's
    touchpoint(reminder, MemberFactory(home_club=riverside), Status.DELIVERED, days_ago=0)

    client.force_login(mia)
    page = text(client.get("/admin/"))
    assert "Messages today at Downtown" in page and "Riverside" not in page
    assert "2 delivered" in page and "1 failed" in page and "1 still to go today" in page
    assert "0 suppressed" in page

    client.force_login(rosa)
    page = text(client.get("/admin/"))
    assert "Messages today at Riverside" in page and "1 delivered" in page

    client.force_login(fiona)
    assert "Messages today" not in text(client.get("/admin/"))


@pytest.mark.parametrize("number", range(1, 23))
def test_every_default_rule_saves_unchanged(client, mia, downtown, number):
    rule = Rule.objects.prefetch_related("clubs").get(number=number)
    client.force_login(mia)

    response = client.post(reverse("playbook:rule_edit", args=[rule.pk]), form_data(rule))

    assert response.status_code == 302, response.context["form"].errors
    params = rule.params
    rule.refresh_from_db()
    assert rule.params == params


def test_staff_task_parameters_are_refused_on_a_message_rule(client, mia, reminder):
    client.force_login(mia)
    assert "param_due_minutes" not in response_form(client, reminder).fields

    response = client.post(
        reverse("playbook:rule_edit", args=[reminder.pk]),
        form_data(reminder, params='{"due_minutes": 30}'),
    )

    assert response.status_code == 200
    assert response.context["form"].errors["params"] == [
        '"due_minutes" is for staff-task rules only.'
    ]


def response_form(client, rule):
    return client.get(reverse("playbook:rule_edit", args=[rule.pk])).context["form"]


def test_a_staff_task_rule_checks_its_own_parameters(client, mia):
    call = Rule.objects.prefetch_related("clubs").get(number=1)
    client.force_login(mia)

    response = client.post(
        reverse("playbook:rule_edit", args=[call.pk]),
        form_data(call, param_due_minutes="0", param_assign="boss"),
    )

    assert response.context["form"].errors == {
        "param_due_minutes": ["Ensure this value is greater than or equal to 1."],
        "param_assign": ["Select a valid choice. boss is not one of the available choices."],
    }


def test_lead_sources_to_leave_out_must_be_known(client, mia):
    call = Rule.objects.prefetch_related("clubs").get(number=1)
    client.force_login(mia)

    response = client.post(
        reverse("playbook:rule_edit", args=[call.pk]),
        form_data(call, param_except_sources=["walkin"]),
    )

    assert response.context["form"].errors == {
        "param_except_sources": [
            "Select a valid choice. walkin is not one of the available choices."
        ]
    }


def test_the_reach_of_a_rule_of_one_club_is_said_to_be_at_that_club(
    client, frozen_clock, downtown, riverside, reminder
):
    # given a marketer of both clubs and a reminder that runs at Downtown alone
    both = UserFactory(username="mira", clubs=[downtown, riverside], roles=[roles.MARKETING])
    client.force_login(both)

    reminder.clubs.set([downtown])
    one = text(client.get(reverse("playbook:rule_edit", args=[reminder.pk])))
    reminder.clubs.set([])
    every = text(client.get(reverse("playbook:rule_edit", args=[reminder.pk])))

    assert "At Downtown, in the next 7 days" in one
    assert "At Downtown and Riverside, in the next 7 days" in every
