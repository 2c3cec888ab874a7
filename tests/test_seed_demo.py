"""seed_demo: a reproducible demo history that is internally consistent and plants the
renewal-by-visit-frequency behaviour analytics must find."""

import datetime as dt
import itertools
import json
import re
from collections import Counter
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db.models import Count, F, Q, Sum
from django.test import override_settings

from campaigns import lifecycle
from checkin import bookings, schedule
from checkin.models import Booking, ClassSession, ClassTemplate, ClassType, Visit
from club import clock, roles
from club.models import Club
from cms.demo import catalogue, checksum, seeding
from cms.models import TrainerPage, TrainersIndexPage
from cms.portal import auth
from members.models import ConsentLog, Member, MemberEvent
from memberships import autorenew
from memberships.models import Freeze, LedgerEntry, Membership, Payment, Plan
from memberships.statuses import refresh_member_statuses

TODAY = "2026-11-23"


def seed(tmp_path, *args: str, members: int = 60, years: int = 1, seed: int = 7) -> str:
    out = StringIO()
    call_command(
        "seed_demo",
        f"--members={members}",
        f"--years={years}",
        f"--seed={seed}",
        f"--today={TODAY}",
        f"--params-out={tmp_path / 'seed_params.json'}",
        *args,
        stdout=out,
    )
    return out.getvalue()


@pytest.mark.django_db
def test_seed_creates_every_kind_of_data_and_the_planted_parameters(tmp_path):
    # when
    output = seed(tmp_path)

    # then
    assert "Seeded the demo (60 people, 1 years to 2026-11-23, seed 7)" in output
    clubs = Club.objects.order_by("slug")
    assert [(c.slug, c.time_zone, c.currency) for c in clubs] == [
        ("downtown", "Europe/Amsterdam", "EUR"),
        ("riverside", "Europe/Amsterdam", "EUR"),
    ]
    assert all(c.address and c.phone and c.email_sender and c.sms_sender for c in clubs)
    assert sorted(Plan.objects.filter(club__slug="downtown").values_list("name", "kind")) == [
        ("10-visit pack", "pack"),
        ("Annual", "time"),
        ("Free trial", "trial"),
        ("Monthly", "time"),
    ]
    assert Member.objects.count() == 60
    assert set(Member.objects.values_list("status", flat=True)) == {
        "lead",
        "trial",
        "member",
        "former",
    }
    for model in (Membership, Visit, ClassType, ClassSession, Booking, Payment, LedgerEntry):
        assert model.objects.exists(), model.__name__
    assert Membership.objects.filter(renewed_from__isnull=False).exists()
    assert set(Booking.objects.values_list("status", flat=True)) >= {
        "attended",
        "no_show",
        "cancelled",
        "booked",
    }
    assert Booking.objects.filter(is_trial=True).exists()
    assert set(MemberEvent.objects.values_list("kind", flat=True)) >= {
        "lead_created",
        "trial_booked",
        "membership_started",
        "membership_renewed",
        "consent_changed",
    }
    # every visit is on its member's timeline, as a check-in puts it
    visit_events = MemberEvent.objects.filter(kind="visit")
    assert visit_events.count() == Visit.objects.count()
    pack_visit = Visit.objects.filter(ledger_entry__isnull=False).select_related("club").first()
    event = visit_events.get(data__visit=pack_visit.pk)
    assert (event.member_id, event.at, event.actor) == (pack_visit.member_id, pack_visit.at, None)
    assert event.data == {
        "visit": pack_visit.pk,
        "club": pack_visit.club.slug,
        "source": pack_visit.source,
        "visits_left": pack_visit.ledger_entry.balance_after,
        "override_reason": None,
        "denied_reason": None,
    }
    assert Member.objects.filter(birth_date__isnull=False).count() > 50
    # birthdays spread over the year, not piled on the seed day
    most_on_one_day = (
        Member.objects.exclude(birth_date=None)
        .values("birth_date")
        .annotate(n=Count("pk"))
        .order_by("-n")
        .values_list("n", flat=True)
        .first()
    )
    assert most_on_one_day <= 3
    consenting = Member.objects.filter(Q(sms_consent=True) | Q(email_consent=True))
    assert consenting.count() > 30
    assert not consenting.filter(consent_log__isnull=True).exists()

    params = json.loads((tmp_path / "seed_params.json").read_text())
    assert (params["seed"], params["members"], params["years"], params["today"]) == (
        7,
        60,
        1,
        TODAY,
    )
    bands = params["planted"]["renewal"]["bands"]
    assert [(b["label"], b["min_visits"], b["max_visits"]) for b in bands] == [
        ("0", 0, 0),
        ("1-3", 1, 3),
        ("4-7", 4, 7),
        ("8+", 8, None),
    ]
    assert [b["renewal_probability"] for b in bands] == list(catalogue.PLANTED.renewal_probability)
    assert params["rows"]["visits"] == Visit.objects.count()


@pytest.mark.django_db
def test_staff_logins_have_their_roles_and_clubs(tmp_path):
    # when
    seed(tmp_path)

    # then
    users = {u.username: u for u in get_user_model().objects.prefetch_related("groups", "clubs")}
    roles_of = {name: sorted(g.name for g in u.groups.all()) for name, u in users.items()}
    clubs_of = {name: sorted(c.slug for c in u.clubs.all()) for name, u in users.items()}
    assert roles_of["fiona"] == [roles.FRONT_DESK]
    assert roles_of["tom"] == [roles.TRAINER]
    assert roles_of["mia"] == [roles.MARKETING]
    assert roles_of["max"] == [roles.MANAGER]
    assert clubs_of["fiona"] == clubs_of["tom"] == ["downtown"]
    # Marketing is the chain's: Mia may change the chain-wide playbook.
    assert clubs_of["mia"] == clubs_of["max"] == ["downtown", "riverside"]
    assert users["admin"].is_superuser
    assert all(u.is_staff for u in users.values())  # bookings and the trainer pages read it
    assert all(u.check_password("clubcycle-demo") for u in users.values())
    sessions = ClassSession.objects.filter(club__slug="downtown")
    assert sessions.filter(trainer=users["tom"]).count() > sessions.count() / 2


@pytest.mark.django_db
def test_the_sessions_follow_a_seeded_timetable_the_nightly_generation_carries_on(tmp_path):
    # given
    seed(tmp_path)
    downtown = Club.objects.get(slug="downtown")

    # then Monday's 07:00 Spin is a slot of the timetable, and every session has its slot
    spin = ClassTemplate.objects.get(club=downtown, weekday=0, start_time=dt.time(7))
    assert (spin.class_type.name, spin.room, spin.duration_minutes) == ("Spin", "Studio 1", 45)
    assert not ClassSession.objects.filter(template=None).exists()
    monday = spin.sessions.filter(start__date=dt.date(2026, 11, 23)).get()
    assert (monday.class_type, monday.trainer, monday.room) == (
        spin.class_type,
        spin.trainer,
        spin.room,
    )
    # when the nightly generation runs over the two weeks the demo already scheduled
    made = [
        schedule.generate_sessions(club, weeks_ahead=2, today=dt.date.fromisoformat(TODAY))
        for club in Club.objects.all()
    ]
    # then it makes nothing twice
    assert made == [0, 0]


@pytest.mark.django_db
def test_packs_freezes_and_renewal_chains_are_consistent(tmp_path):
    # given
    seed(tmp_path, members=150)

    # then: a pack's balance is the sum of its ledger, never negative
    packs = Membership.objects.filter(plan__kind=Plan.Kind.PACK)
    ledger = dict(
        LedgerEntry.objects.values_list("membership").annotate(total=Sum("visits")).order_by()
    )
    used = dict(
        Visit.objects.filter(membership__in=packs)
        .values_list("membership")
        .annotate(n=Count("id"))
        .order_by()
    )
    assert packs.exists()
    for pack in packs:
        assert pack.visits_left == ledger[pack.pk] >= 0
        assert used.get(pack.pk, 0) == 10 - pack.visits_left
    assert not LedgerEntry.objects.filter(balance_after__lt=0).exists()
    assert not Visit.objects.filter(
        membership__plan__kind=Plan.Kind.PACK, ledger_entry__isnull=True
    ).exists()

    # and: every renewal belongs to the same member and starts after the one it renews
    renewals = Membership.objects.filter(renewed_from__isnull=False)
    assert renewals.exists()
    assert not renewals.exclude(member=F("renewed_from__member")).exists()
    assert not renewals.filter(start__lte=F("renewed_from__end")).exists()
    assert not Membership.objects.filter(end__lt=F("start")).exists()

    # and: every membership carries its plan's auto-renew, as sales.sell() sets it
    assert not Membership.objects.exclude(auto_renew=F("plan__auto_renew")).exists()

    # and: freezes lie within their membership and never overlap
    freezes = list(Freeze.objects.select_related("membership").order_by("membership", "start"))
    assert freezes
    for freeze in freezes:
        assert freeze.membership.start <= freeze.start <= freeze.end <= freeze.membership.end
    for a, b in itertools.pairwise(freezes):
        assert a.membership_id != b.membership_id or a.end < b.start

    # and: every visit falls inside its membership, outside its freezes, in opening hours
    frozen = {(f.membership_id, f.start, f.end) for f in freezes}
    for visit in Visit.objects.select_related("membership"):
        local = visit.at.astimezone(catalogue_zone())
        assert visit.membership.start <= local.date() <= visit.membership.end
        assert not any(m == visit.membership_id and s <= local.date() <= e for m, s, e in frozen)
        assert 6 <= local.hour <= 22

    # and: the statuses are what memberships.statuses computes for that day
    with time_machine.travel(dt.datetime(2026, 11, 23, 12, tzinfo=dt.UTC), tick=False):
        assert [refresh_member_statuses(club) for club in Club.objects.all()] == [0, 0]


@pytest.mark.django_db
def test_memberships_of_a_plan_that_renews_automatically_renew_rather_than_lapse(
    tmp_path, monkeypatch
):
    # given: the Monthly plan renews automatically
    monkeypatch.setattr(catalogue, "PLAN_AUTO_RENEW", (False, True, False, False))

    # when
    seed(tmp_path, members=150)

    # then: the plans and every membership sold of them carry it
    monthly = Membership.objects.filter(plan__name="Monthly")
    assert set(Plan.objects.values_list("name", "auto_renew")) == {
        ("Free trial", False),
        ("Monthly", True),
        ("Annual", False),
        ("10-visit pack", False),
    }
    assert not Membership.objects.exclude(plan__name="Monthly").filter(auto_renew=True).exists()
    stopped = set(
        MemberEvent.objects.filter(kind="auto_renew_changed", data__auto_renew=False).values_list(
            "data__membership", flat=True
        )
    )
    assert stopped
    assert set(monthly.filter(auto_renew=False).values_list("pk", flat=True)) == stopped

    # and: one that ended with auto-renew on was renewed the next day, unless that is today
    # (the live auto_renew_task's), by the same plan, and paid at the desk
    today = dt.date.fromisoformat(TODAY)
    ended_on = monthly.filter(auto_renew=True, end__lt=today - dt.timedelta(days=1))
    assert ended_on.exists()
    assert not ended_on.filter(renewal__isnull=True).exists()
    automatic = Membership.objects.filter(
        pk__in=list(
            MemberEvent.objects.filter(kind="membership_auto_renewed").values_list(
                "data__membership", flat=True
            )
        )
    )
    assert automatic.exists()
    assert not automatic.exclude(start=F("renewed_from__end") + dt.timedelta(days=1)).exists()
    assert not automatic.exclude(plan=F("renewed_from__plan")).exists()
    assert not automatic.exclude(status=Membership.Status.ACTIVE).exists()
    assert set(
        Payment.objects.filter(membership__in=automatic, status="succeeded").values_list(
            "membership", flat=True
        )
    ) == set(automatic.values_list("pk", flat=True))

    # and: the live task finds nothing left over from the history but yesterday's ends
    for club in Club.objects.all():
        assert set(autorenew.due(club, today=today).values_list("end", flat=True)) <= {
            today - dt.timedelta(days=1)
        }


@pytest.mark.django_db
def test_visits_follow_the_week_and_the_seasons_and_renewals_follow_visits(tmp_path):
    # given
    seed(tmp_path, members=400, years=2)
    today = dt.date.fromisoformat(TODAY)
    zone = catalogue_zone()
    visit_days: dict[int, list[dt.date]] = {}
    local_times = []
    for member_id, at in Visit.objects.values_list("member_id", "at"):
        local = at.astimezone(zone)
        local_times.append(local)
        visit_days.setdefault(member_id, []).append(local.date())

    # then: busier Monday to Thursday than at the weekend, in January than in July
    by_weekday = [sum(t.weekday() == d for t in local_times) for d in range(7)]
    assert min(by_weekday[:4]) > 1.3 * max(by_weekday[5:])
    assert sum(t.month == 1 for t in local_times) > 1.3 * sum(t.month == 7 for t in local_times)
    weekday_evenings = sum(t.weekday() < 4 and 17 <= t.hour < 21 for t in local_times)
    assert weekday_evenings > 0.3 * len(local_times)

    # when: band each settled paid membership by its member's visits in its last 30 days
    counts = {band: [0, 0] for band in range(4)}
    settled = Membership.objects.exclude(plan__kind=Plan.Kind.TRIAL).filter(
        end__lte=today - dt.timedelta(days=15)
    )
    for membership in settled.annotate(renewed=Count("renewal")):
        window_start = membership.end - dt.timedelta(days=29)
        visits = sum(
            window_start <= d <= membership.end for d in visit_days.get(membership.member_id, [])
        )
        band = catalogue.PLANTED.band(visits)
        counts[band][0] += 1
        counts[band][1] += membership.renewed

    # then: the planted behaviour, seen from the stored data alone
    rates = [renewed / total for total, renewed in counts.values()]
    assert all(total >= 40 for total, _ in counts.values())
    assert rates == sorted(rates)
    assert rates[3] - rates[0] > 0.4


@pytest.mark.django_db
def test_same_seed_gives_the_same_checksum_and_another_seed_does_not(tmp_path):
    # given
    seed(tmp_path)
    first = checksum.compute()

    # when
    output = seed(tmp_path, "--reset", "--checksum")
    again = checksum.compute()
    seed(tmp_path, "--reset", seed=8)
    other = checksum.compute()

    # then
    assert f"sha256 {first.sha256}" in output
    assert again == first
    assert first.counts["members"] == 60
    assert other.sha256 != first.sha256
    assert Club.objects.count() == 2
    assert get_user_model().objects.filter(username="tom").count() == 1


@pytest.mark.django_db
def test_if_empty_leaves_existing_demo_data_alone(tmp_path):
    # given
    seed(tmp_path)
    before = checksum.counts()

    # when
    output = seed(tmp_path, "--if-empty", seed=8)

    # then
    assert output == "The demo data is already there: nothing to do.\n"
    assert checksum.counts() == before


@pytest.mark.django_db
def test_checksum_alone_reports_on_the_existing_data(tmp_path):
    # given
    seed(tmp_path)
    expected = checksum.compute()

    # when
    output = seed(tmp_path, "--checksum", seed=8)

    # then
    assert output.startswith("The demo data is already there (not seeding); its checksum:\n")
    assert output.endswith(f"sha256 {expected.sha256}\n")
    assert ["members", "60"] in [line.split() for line in output.splitlines()]


@pytest.mark.django_db
def test_seeding_over_existing_demo_data_without_a_flag_is_refused(tmp_path):
    # given
    seed(tmp_path)

    # when / then
    with pytest.raises(CommandError, match="--reset"):
        seed(tmp_path)


@pytest.mark.django_db
def test_a_real_club_with_a_demo_slug_is_never_touched(tmp_path):
    # given
    Club.objects.create(name="Downtown", slug="downtown", email_sender="desk@fit.example.com")

    # when / then
    with pytest.raises(CommandError, match="not demo data"):
        seed(tmp_path, "--reset")
    assert Club.objects.get().email_sender == "desk@fit.example.com"


@pytest.mark.django_db
def test_reset_removes_members_of_the_demo_clubs_and_their_history(tmp_path):
    # given
    seed(tmp_path)

    # when
    seed(tmp_path, "--reset", members=30)

    # then
    assert Member.objects.count() == 30
    assert not ConsentLog.objects.exclude(member__in=Member.objects.all()).exists()
    assert checksum.counts()["members"] == 30


def visible_text(response) -> str:
    assert response.status_code == 200, response.status_code
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


@pytest.mark.django_db
def test_the_trainers_page_lists_the_demo_trainers_with_a_bio_and_their_classes(tmp_path, client):
    # given
    seed(tmp_path)

    # when
    with time_machine.travel(dt.datetime(2026, 11, 23, 12, tzinfo=dt.UTC), tick=False):
        index = visible_text(client.get("/trainers/"))
        tom = visible_text(client.get("/trainers/tom-bakker/"))

    # then: the site shows Downtown, so Downtown's two trainers, each with the classes the
    # timetable gives them; Riverside's have pages too, for Riverside's site
    assert "Sara Smit Spin · Pilates · HIIT · Strength · Yoga · Core" in index
    assert "Tom Bakker Spin · Yoga · HIIT · Core · Boxing" in index
    assert "Leo Mulder" not in index
    assert "Nina Bos" not in index
    assert TrainerPage.objects.count() == 4
    for page in TrainerPage.objects.select_related("staff_user"):
        taught = ClassSession.objects.filter(trainer=page.staff_user).values_list(
            "class_type__name", flat=True
        )
        assert sorted(page.speciality_list) == sorted(set(taught))
    # and a trainer's page has a bio and this week's classes
    assert "Tom came to coaching from the boxing ring." in tom
    assert "Classes with Tom Bakker this week Today 18:00 18:45 HIIT" in tom


@pytest.mark.django_db
def test_reset_replaces_the_trainer_pages_and_leaves_an_editor_s_page_alone(tmp_path):
    # given: an editor's own page for a Tom Bakker, and a seeded demo
    TrainersIndexPage.objects.get().add_child(
        instance=TrainerPage(title="Tom Bakker", slug="tom-bakker", bio="<p>Our Tom.</p>")
    )
    seed(tmp_path)

    # when
    seed(tmp_path, "--reset")

    # then: one page per trainer, the editor's Tom among them, untouched
    pages = TrainerPage.objects.order_by("title")
    assert [(p.title, p.staff_user and p.staff_user.username) for p in pages] == [
        ("Leo Mulder", "leo"),
        ("Nina Bos", "nina"),
        ("Sara Smit", "sara"),
        ("Tom Bakker", None),
    ]
    assert pages.get(slug="tom-bakker").bio == "<p>Our Tom.</p>"


@pytest.mark.django_db
def test_without_a_trainers_page_the_demo_seeds_no_trainer_pages(tmp_path):
    # given: an editor deleted the Trainers page
    TrainersIndexPage.objects.get().delete()

    # when
    seed(tmp_path)

    # then
    assert not TrainerPage.objects.exists()
    assert Member.objects.count() == 60


@pytest.mark.django_db
def test_demo_logins_prints_the_logins_or_says_there_are_none(tmp_path):
    # given
    out = StringIO()
    call_command("demo_logins", stdout=out)
    assert out.getvalue() == "No demo data here: run `python manage.py seed_demo` to create it.\n"
    seed(tmp_path)

    # when
    out = StringIO()
    call_command("demo_logins", stdout=out)

    # then
    lines = out.getvalue().splitlines()
    assert lines[0].split() == ["username", "role", "clubs", "password"]
    assert lines[3].split() == ["fiona", "Front", "desk", "Downtown", "clubcycle-demo"]
    assert "Back-office: http://" in out.getvalue()


@pytest.mark.django_db
def test_demo_logins_names_a_member_who_can_sign_in_to_the_portal_and_book(
    tmp_path, frozen_clock, capsys
):
    # given the demo, on the day it was generated for
    seed(tmp_path)

    # when (the demo's email backend: the console)
    out = StringIO()
    with override_settings(EMAIL_BACKEND="django.core.mail.backends.console.EmailBackend"):
        call_command("demo_logins", stdout=out)

    # then
    line = next(line for line in out.getvalue().splitlines() if line.startswith("Member portal"))
    email = re.search(r"sign in as (\S+) ", line).group(1)
    member = Member.objects.get(email=email)
    assert Member.objects.filter(email__iexact=email).count() == 1
    assert (member.home_club.slug, member.status) == ("downtown", Member.Status.MEMBER)
    assert bookings.class_refusals(member, member.home_club, [clock.today()]) == {}
    assert line.startswith("Member portal: http://")
    assert line.endswith(
        "no password: the sign-in link is printed in the web server's output (this terminal)."
    )
    # and asking for the link there prints it
    capsys.readouterr()
    with override_settings(EMAIL_BACKEND="django.core.mail.backends.console.EmailBackend"):
        assert auth.request_link(email=email, ip="127.0.0.1") == 1
    assert "/account/login/link/?sesame=" in capsys.readouterr().out


@pytest.mark.django_db
def test_demo_logins_says_where_a_real_email_backend_sends_the_link(tmp_path, frozen_clock):
    seed(tmp_path)
    out = StringIO()

    with override_settings(EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend"):
        call_command("demo_logins", stdout=out)

    assert "no password: the sign-in link is emailed to that address." in out.getvalue()


def catalogue_zone() -> ZoneInfo:
    return ZoneInfo(catalogue.CLUBS[0].time_zone)


@pytest.mark.django_db
def test_a_demo_seeded_up_to_today_opens_with_every_member_in_their_stage(tmp_path, frozen_clock):
    # when: seeded up to the real today (the clock is frozen on TODAY)
    seed(tmp_path, members=120)

    # then: stages are there at once, not after the beat's first run
    stages = Counter(Member.objects.values_list("stage", flat=True))
    assert stages[Member.Stage.ACTIVE] + stages[Member.Stage.ONBOARDING] > 0
    assert stages[Member.Stage.LAPSED] + stages[Member.Stage.LOST] > 0
    assert stages[Member.Stage.LEAD] < Member.objects.count() / 2
    # and as the beat would leave them: running it changes nothing
    assert sum(lifecycle.refresh_stages(club) for club in Club.objects.all()) == 0


@pytest.mark.django_db
def test_a_demo_seeded_up_to_today_has_today_s_check_ins_up_to_now(tmp_path, frozen_clock):
    # when: seeded at 18:00 on TODAY (a Monday), the clock's today
    seed(tmp_path, members=600)

    # then: the desk has had today's check-ins, all before now and in opening hours
    zone = catalogue_zone()
    now = clock.now()
    began = dt.datetime.combine(now.astimezone(zone).date(), dt.time(0), tzinfo=zone)
    today = Visit.objects.filter(at__gte=began).select_related("membership__plan")
    assert today.count() > 20
    assert not Visit.objects.filter(at__gte=now).exists()
    assert {visit.club.slug for visit in today} == {spec.slug for spec in catalogue.CLUBS}
    frozen = Freeze.objects.filter(start__lte=now.date(), end__gte=now.date())
    for visit in today:
        assert 6 <= visit.at.astimezone(zone).hour < 18
        assert visit.membership.plan.kind != Plan.Kind.TRIAL
        assert visit.membership.start <= now.date() <= visit.membership.end
        assert not frozen.filter(membership=visit.membership).exists()
        # a pack visit is debited as every other one
        if visit.membership.plan.kind == Plan.Kind.PACK:
            assert visit.ledger_entry.at == visit.at and visit.ledger_entry.visits == -1
    packs = Membership.objects.filter(plan__kind=Plan.Kind.PACK)
    ledger = dict(
        LedgerEntry.objects.values_list("membership").annotate(total=Sum("visits")).order_by()
    )
    assert all(pack.visits_left == ledger[pack.pk] >= 0 for pack in packs)


@pytest.mark.django_db
def test_a_demo_seeded_up_to_another_day_stops_at_its_midnight(tmp_path, frozen_clock):
    # given: the clock's today is the day after the history's
    frozen_clock.move_to(dt.datetime(2026, 11, 24, 17, tzinfo=dt.UTC))

    # when
    seed(tmp_path, members=300)

    # then: nothing on the history's today (its 18:00 has not come for it)
    began = dt.datetime.combine(dt.date.fromisoformat(TODAY), dt.time(0), tzinfo=catalogue_zone())
    assert Visit.objects.filter(at__lt=began).exists()
    assert not Visit.objects.filter(at__gte=began).exists()


@pytest.mark.django_db
def test_the_benchmarks_can_leave_out_the_visits_timeline_events(tmp_path):
    outcome = seeding.seed(
        members=30,
        years=1,
        seed=7,
        today=dt.date(2026, 11, 23),
        params_out=None,
        visit_events=False,
    )

    assert Visit.objects.exists()
    assert not MemberEvent.objects.filter(kind="visit").exists()
    assert outcome.counts["member_events"] == MemberEvent.objects.count()
