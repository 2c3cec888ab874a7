"""The campaign screens: the form refuses what would go wrong at send time, a draft is
scheduled and cancelled, and only staff of every club the segment covers may change it.

The clock is frozen at Monday 23 Nov 2026 18:00 in Amsterdam.
"""

import datetime as dt

import pytest
from django.urls import reverse

from campaigns.models import Campaign, CampaignVariant, Segment
from club import roles
from tests.factories import MemberFactory, UserFactory

TODAY = dt.date(2026, 11, 23)

pytestmark = pytest.mark.usefixtures("frozen_clock")


@pytest.fixture
def rosa(riverside):
    """Marketing at Riverside only."""
    return UserFactory(username="rosa", clubs=[riverside], roles=[roles.MARKETING])


def segment(*clubs, name="Downtown members") -> Segment:
    created = Segment.objects.create(name=name)
    created.clubs.set(clubs)
    return created


def form_data(chosen: Segment, **changes) -> dict:
    data = {
        "name": "Winter offer",
        "segment": chosen.pk,
        "channel": "sms",
        "send_on": "2026-11-24",
        "send_time": "10:00",
        "repeat": "once",
        "repeat_until": "",
        "holdout_percent": "10",
        "template_A": "Hi {{ first_name }}, 20% off at {{ club }} this week.",
        "template_B": "{{ first_name }}, come back: 20% off.",
    }
    return {**data, **changes}


def draft(chosen: Segment, **fields) -> Campaign:
    defaults = {"name": "Winter offer", "channel": "sms", "send_on": TODAY + dt.timedelta(days=1)}
    created = Campaign.objects.create(segment=chosen, **{**defaults, **fields})
    CampaignVariant.objects.create(campaign=created, label="A", template="Hi {{ first_name }}")
    return created


def refused(response) -> bool:
    """Wagtail answers a PermissionDenied with a redirect home."""
    return response.status_code == 302 and response["Location"] == reverse("wagtailadmin_home")


def test_marketing_saves_a_campaign_with_two_variants_as_a_draft(client, mia, downtown):
    chosen = segment(downtown)
    client.force_login(mia)

    response = client.post(reverse("playbook:campaign_add"), form_data(chosen))

    saved = Campaign.objects.get()
    assert response["Location"] == reverse("playbook:campaign", args=[saved.pk])
    assert (saved.status, saved.holdout_percent, saved.created_by) == ("draft", 10, mia)
    assert [(v.label, v.template) for v in saved.variants.all()] == [
        ("A", "Hi {{ first_name }}, 20% off at {{ club }} this week."),
        ("B", "{{ first_name }}, come back: 20% off."),
    ]


@pytest.mark.parametrize(
    ("changes", "field", "says"),
    [
        ({"template_A": "Hi {{ frist_name }}"}, "template_A", '"frist_name" is not a field'),
        ({"template_B": "Your plan ends {{ end }}"}, "template_B", '"end" is not a field'),
        ({"template_A": "Hi {{ first_name"}, "template_A", "is not closed"),
        ({"holdout_percent": "60"}, "holdout_percent", "less than or equal to 50"),
        ({"holdout_percent": "-1"}, "holdout_percent", "greater than or equal to 0"),
        ({"send_on": "2026-11-23", "send_time": "17:00"}, "send_on", "has passed at Downtown"),
        ({"send_time": "22:30"}, "send_time", "in Downtown's quiet hours"),
        ({"send_time": "25:00"}, "send_time", "HH:MM"),
        ({"template_B": "", "template_C": "Hi"}, "template_C", "Fill in variant B first"),
        ({"channel": "email"}, "subject_A", "An email needs a subject"),
        ({"channel": "task"}, "channel", "not one of the available choices"),
        ({"template_A": ""}, "template_A", "required"),
        ({"repeat": "monthly", "send_on": ""}, "send_on", "a monthly one on its day of the month"),
        (
            {"repeat": "weekly", "repeat_until": "2026-11-20"},
            "repeat_until",
            "20 Nov 2026 is before the first day, 24 Nov 2026",
        ),
        (
            {"repeat": "monthly", "repeat_until": "2026-12-10"},
            "repeat_until",
            "Only one run goes before 10 Dec 2026",
        ),
        ({"repeat_until": "2026-12-31"}, "repeat_until", "Only a repeating campaign has a last"),
        ({"repeat": "daily"}, "repeat", "not one of the available choices"),
        ({"send_on": "2099-11-24"}, "send_on", "24 Nov 2099 is more than a year away"),
        ({"subject_A": "Winter"}, "subject_A", "An SMS has no subject"),
        ({"repeat": "weekly", "repeat_until": "31-12-2026"}, "repeat_until", "YYYY-MM-DD"),
    ],
)
def test_the_campaign_form_refuses_bad_input(client, mia, downtown, changes, field, says):
    chosen = segment(downtown)
    client.force_login(mia)

    response = client.post(reverse("playbook:campaign_add"), form_data(chosen, **changes))

    assert response.status_code == 200
    errors = response.context["form"].errors
    assert field in errors, errors
    assert says in " ".join(errors[field])
    assert not Campaign.objects.exists()


def test_a_segment_covering_another_club_cannot_be_chosen(client, mia, downtown, riverside):
    both = segment(downtown, riverside, name="Everyone")
    client.force_login(mia)

    response = client.post(reverse("playbook:campaign_add"), form_data(both))

    assert list(response.context["form"].errors) == ["segment"]


def test_a_draft_is_scheduled_then_cancelled(client, mia, maya, downtown):
    winter = draft(segment(downtown))
    client.force_login(mia)

    client.post(reverse("playbook:campaign_schedule", args=[winter.pk]))
    winter.refresh_from_db()
    scheduled = winter.status
    client.post(reverse("playbook:campaign_cancel", args=[winter.pk]))
    winter.refresh_from_db()

    assert (scheduled, winter.status) == ("scheduled", "cancelled")


def test_scheduling_and_cancelling_ask_first_saying_to_how_many(client, mia, maya, downtown):
    maya.sms_consent = True
    maya.save()
    winter = draft(segment(downtown), name="Winter's offer")
    client.force_login(mia)

    html = client.get(reverse("playbook:campaign", args=[winter.pk])).content.decode()

    schedule_form = html[html.index("data-confirm-schedule") : html.index("Schedule</button>")]
    assert "return confirm('Schedule “Winter\\u0027s offer”? It goes by SMS to the 1 member" in (
        schedule_form
    )
    cancel_form = html[: html.index("Cancel the campaign</button>")].rsplit("<form", 1)[1]
    assert "return confirm('Cancel “Winter\\u0027s offer”? Nothing of it is sent" in cancel_form


def test_a_draft_whose_time_has_passed_is_not_scheduled(client, mia, downtown):
    late = draft(segment(downtown), send_on=TODAY, send_time=dt.time(10, 0))
    client.force_login(mia)

    response = client.post(reverse("playbook:campaign_schedule", args=[late.pk]), follow=True)

    late.refresh_from_db()
    assert late.status == "draft"
    assert "Not scheduled: 23 Nov 2026, 10:00 has passed at Downtown" in response.content.decode()


def test_a_sent_campaign_is_neither_cancelled_nor_edited(client, mia, downtown):
    sent = draft(segment(downtown), status=Campaign.Status.SENT)
    client.force_login(mia)

    cancelled = client.post(reverse("playbook:campaign_cancel", args=[sent.pk]), follow=True)
    edited = client.post(reverse("playbook:campaign", args=[sent.pk]), form_data(sent.segment))

    sent.refresh_from_db()
    assert sent.status == "sent"
    assert "A sent campaign cannot be cancelled." in cancelled.content.decode()
    assert refused(edited)


def test_staff_of_only_some_of_the_segments_clubs_see_it_read_only(
    client, mia, carla, maya, downtown, riverside
):
    winter = draft(segment(downtown, riverside, name="Everyone"))
    url = reverse("playbook:campaign", args=[winter.pk])
    client.force_login(mia)

    shown = client.get(url)
    saved = client.post(url, form_data(winter.segment, name="Mine now"))
    scheduled = client.post(reverse("playbook:campaign_schedule", args=[winter.pk]))
    client.force_login(carla)
    by_carla = client.post(reverse("playbook:campaign_schedule", args=[winter.pk]))

    winter.refresh_from_db()
    assert "data-view-only" in shown.content.decode()
    assert refused(saved) and refused(scheduled)
    assert by_carla.status_code == 302 and winter.status == "scheduled"
    assert winter.name == "Winter offer"


@pytest.mark.parametrize(
    ("user", "expected"),
    [("mia", 200), ("max", 200), ("rosa", 404), ("fiona", "refused"), ("tom", "refused")],
)
def test_who_may_open_a_downtown_campaign(client, request, downtown, user, expected):
    winter = draft(segment(downtown))
    client.force_login(request.getfixturevalue(user))

    page = client.get(reverse("playbook:campaign", args=[winter.pk]))
    results = client.get(reverse("playbook:campaign_results", args=[winter.pk]))

    for response in (page, results):
        if expected == "refused":
            assert refused(response)
        else:
            assert response.status_code == expected


def test_other_club_staff_cannot_schedule_or_cancel(client, rosa, downtown):
    winter = draft(segment(downtown))
    client.force_login(rosa)

    scheduled = client.post(reverse("playbook:campaign_schedule", args=[winter.pk]))
    cancelled = client.post(reverse("playbook:campaign_cancel", args=[winter.pk]))

    winter.refresh_from_db()
    assert (scheduled.status_code, cancelled.status_code, winter.status) == (404, 404, "draft")


def test_the_lists_show_only_segments_and_campaigns_of_the_users_clubs(
    client, rosa, mia, downtown, riverside
):
    draft(segment(downtown, name="Downtown members"), name="Downtown winter")
    draft(segment(riverside, name="Riverside members"), name="Riverside winter")
    client.force_login(mia)

    segments = client.get(reverse("playbook:segments")).content.decode()
    campaigns = client.get(reverse("playbook:campaigns")).content.decode()

    assert "Downtown members" in segments and "Riverside members" not in segments
    assert "Downtown winter" in campaigns and "Riverside winter" not in campaigns


def test_the_campaign_list_shows_the_latest_send_date_first(client, mia, downtown):
    members = segment(downtown)
    for name, day in [
        ("Autumn", "2026-10-26"),
        ("New year", "2026-12-31"),
        ("Winter", "2026-11-25"),
    ]:
        draft(members, name=name, send_on=dt.date.fromisoformat(day))
    client.force_login(mia)

    listing = client.get(reverse("playbook:campaigns")).content.decode()

    positions = [listing.index(name) for name in ("New year", "Winter", "Autumn")]
    assert positions == sorted(positions)


def test_the_campaign_page_previews_each_variant_for_a_member_of_the_segment(client, mia, downtown):
    MemberFactory(home_club=downtown, first_name="Maya", last_name="Aarts")
    MemberFactory(home_club=downtown, first_name="Zoe", last_name="Zwart")
    winter = draft(segment(downtown))
    CampaignVariant.objects.create(campaign=winter, label="B", template="{{ first_name }} 👋")
    client.force_login(mia)

    html = client.get(reverse("playbook:campaign", args=[winter.pk])).content.decode()

    assert "Preview for Maya Aarts" in html
    a, b = html.split('data-preview="A"')[1], html.split('data-preview="B"')[1]
    assert "Hi Maya" in a and "1 SMS segment, GSM-7" in a
    assert "Maya 👋" in b and "1 SMS segment, UCS-2" in b


def test_a_one_club_segment_is_counted_at_that_club_for_staff_of_both(
    client, carla, downtown, riverside
):
    MemberFactory(home_club=downtown)
    MemberFactory(home_club=riverside)
    downtown_only = segment(downtown)
    winter = draft(downtown_only)
    client.force_login(carla)

    pages = [
        client.get(reverse("playbook:segment", args=[downtown_only.pk])).content.decode(),
        client.get(reverse("playbook:campaign", args=[winter.pk])).content.decode(),
    ]
    results = client.get(reverse("playbook:campaign_results", args=[winter.pk])).content.decode()

    for page in pages:
        assert "member at Downtown ·" in page and "Riverside ·" not in page
    assert "Messages at Downtown</h2>" in results


def test_marketing_saves_a_weekly_campaign_and_sees_its_schedule_in_words(client, mia, downtown):
    chosen = segment(downtown)
    client.force_login(mia)

    response = client.post(
        reverse("playbook:campaign_add"),
        form_data(chosen, send_on="2026-11-30", repeat="weekly", repeat_until="2027-01-31"),
    )
    saved = Campaign.objects.get()
    page = client.get(response["Location"]).content.decode()
    listing = client.get(reverse("playbook:campaigns")).content.decode()

    assert (saved.repeat, saved.repeat_until, saved.next_run_on) == (
        "weekly",
        dt.date(2027, 1, 31),
        dt.date(2026, 11, 30),
    )
    words = "Every Monday at 10:00, from 30 Nov, until 31 Jan 2027"
    assert words in page and words in listing


def test_a_running_weekly_campaign_is_paused_resumed_and_stopped_on_its_page(client, mia, downtown):
    # given a weekly campaign whose first run went
    weekly = draft(segment(downtown), repeat="weekly", status=Campaign.Status.SCHEDULED)
    Campaign.objects.filter(pk=weekly.pk).update(
        launched_at=dt.datetime(2026, 11, 23, 9, tzinfo=dt.UTC),
        next_run_on=TODAY + dt.timedelta(days=8),
    )
    url = reverse("playbook:campaign", args=[weekly.pk])
    client.force_login(mia)

    # when marketing opens it, pauses, resumes and stops it
    running = client.get(url).content.decode()
    client.post(reverse("playbook:campaign_pause", args=[weekly.pk]))
    paused = client.get(url).content.decode()
    client.post(reverse("playbook:campaign_resume", args=[weekly.pk]))
    resumed = Campaign.objects.get(pk=weekly.pk)
    stopped = client.post(reverse("playbook:campaign_stop", args=[weekly.pk]), follow=True)
    edited = client.post(url, form_data(weekly.segment, name="Changed"))

    # then each step is offered when it applies, and a running campaign is not edited
    weekly.refresh_from_db()
    assert "next run Tue 1 Dec 2026" in running
    assert "Pause</button>" in running and "Cancel the campaign" not in running
    assert "Resume</button>" in paused and "Pause</button>" not in paused
    assert (resumed.status, resumed.next_run_on) == ("scheduled", dt.date(2026, 11, 24))
    assert "Campaign “Winter offer” stopped: no more runs." in stopped.content.decode()
    assert (weekly.status, weekly.name) == ("stopped", "Winter offer")
    assert refused(edited)


def test_a_one_off_cannot_be_stopped(client, mia, downtown):
    once = draft(segment(downtown), status=Campaign.Status.SCHEDULED)
    client.force_login(mia)

    response = client.post(reverse("playbook:campaign_stop", args=[once.pk]), follow=True)

    once.refresh_from_db()
    assert once.status == "scheduled"
    assert "A one-off campaign cannot be stopped." in response.content.decode()


def test_other_club_staff_cannot_stop(client, rosa, downtown):
    weekly = draft(segment(downtown), repeat="weekly", status=Campaign.Status.SCHEDULED)
    client.force_login(rosa)

    response = client.post(reverse("playbook:campaign_stop", args=[weekly.pk]))

    weekly.refresh_from_db()
    assert (response.status_code, weekly.status) == (404, "scheduled")
