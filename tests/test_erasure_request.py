"""A member asks from the portal for their personal data to be erased (members.erasure.request):
a page says what goes and what stays, and what must end first; sending it opens one task for
the managers of their club, due in a month, and a timeline event. A manager's erasure closes
the request as done."""

import datetime as dt
import html
import re

import pytest
from django.urls import reverse

from club import clock, roles
from cms.portal import auth
from members import erasure, staff_tasks
from members.models import MemberEvent, Task
from memberships.models import Membership
from tests.factories import BookingFactory, ClassSessionFactory, MemberFactory, UserFactory

URL = reverse("portal:erasure_request")


def words(response) -> str:
    text = re.sub(r"<[^>]+>", " ", response.content.decode())
    return " ".join(html.unescape(text).split())


@pytest.fixture
def former_maya(frozen_clock, downtown, maya):
    """Maya, whose membership ended last month: nothing stops her erasure."""
    today = clock.today(downtown)
    Membership.objects.filter(member=maya).update(
        start=today - dt.timedelta(days=60), end=today - dt.timedelta(days=31)
    )
    return maya


def signed_in(client, member):
    client.force_login(auth.portal_user(member))
    return client


def test_a_member_asks_and_the_managers_get_a_task_due_in_a_month(client, former_maya, settings):
    settings.SITE_URL = "https://club.example.com"
    portal = signed_in(client, former_maya)
    offer = portal.get(reverse("portal:messages"))
    page = portal.get(URL)

    response = portal.post(URL)

    assert "Ask us to erase your data" in words(offer)
    assert f'href="{URL}"' in offer.content.decode()
    said = words(page)
    assert "What is removed" in said and "What is kept, without your name" in said
    assert "Payments: amount, date and method, as bookkeeping law asks" in said
    assert "anonymised" in said and "can't erase your data yet" not in said
    assert f'href="{reverse("portal:your_data")}">download it</a>' in page.content.decode()
    assert response.status_code == 302 and response["Location"] == URL
    task = Task.objects.get(member=former_maya)
    assert task.title == "Erase personal data: requested by the member"
    assert task.assigned_role == roles.MANAGER and task.escalate_when_late
    assert task.status == Task.Status.OPEN
    assert task.due_at == clock.now() + dt.timedelta(days=30)
    erase_url = "https://club.example.com" + reverse("desk:erase_data", args=[former_maya.pk])
    assert erase_url in task.details and "refused" not in task.details
    event = former_maya.events.get(kind=MemberEvent.Kind.ERASURE_REQUESTED)
    assert event.data == {"task": task.pk} and event.actor is None
    confirmation = words(portal.get(URL))
    assert "Thank you: we have your request. We'll be in touch by 23 December 2026" in confirmation
    assert "You asked on 23 November 2026; we'll be in touch." in confirmation
    assert "Send my request" not in confirmation
    messages_page = words(portal.get(reverse("portal:messages")))
    assert "You asked on 23 November 2026 for your data to be erased" in messages_page
    assert "Ask us to erase your data" not in messages_page
    # Nothing is erased until a manager does it.
    former_maya.refresh_from_db()
    assert former_maya.erased_at is None and former_maya.first_name == "Maya"


def test_asking_again_while_the_request_is_open_opens_no_second_task(
    client, former_maya, frozen_clock
):
    portal = signed_in(client, former_maya)
    portal.post(URL)
    frozen_clock.move_to("2026-11-25 09:00:00+00:00")

    again = portal.post(URL, follow=True)

    assert Task.objects.filter(member=former_maya).count() == 1
    assert former_maya.events.filter(kind=MemberEvent.Kind.ERASURE_REQUESTED).count() == 1
    assert "You already asked on 23 November 2026; we'll be in touch by 23 December" in words(again)
    # Once the managers have closed it, the member may ask again.
    staff_tasks.complete(Task.objects.get(member=former_maya), by=None)
    portal.post(URL)
    assert Task.objects.filter(member=former_maya, status=Task.Status.OPEN).count() == 1
    assert erasure.open_request(former_maya).asked_at == clock.now()


def test_a_membership_in_force_and_classes_ahead_are_said_and_the_request_still_goes(
    client, frozen_clock, downtown, maya
):
    BookingFactory(member=maya, session=ClassSessionFactory(club=downtown))
    portal = signed_in(client, maya)

    page = portal.get(URL)
    portal.post(URL)
    after = words(portal.get(URL))

    said = words(page)
    assert "We can't erase your data yet. You can still send the request: we'll contact you." in (
        said
    )
    assert "You have a membership in force or starting later" in said
    assert "You can cancel them first in My bookings" in said
    assert reverse("portal:bookings") in page.content.decode()
    assert "cancel it first" not in said  # the staff's words stay on the staff's page
    task = Task.objects.get(member=maya)
    assert "Erasure is refused for now" in task.details
    assert "membership in force or starting later: cancel it first" in task.details
    assert "classes to come: cancel them first" in task.details
    assert "You asked on 23 November 2026" in after
    assert "You can cancel them first in My bookings" in after


def test_signing_in_comes_first_and_nothing_is_recorded(client, former_maya):
    shown = client.get(URL)
    sent = client.post(URL)

    for response in (shown, sent):
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("portal:login"))
    assert not Task.objects.exists()
    assert not MemberEvent.objects.filter(kind=MemberEvent.Kind.ERASURE_REQUESTED).exists()


def test_a_member_asks_only_for_themselves(client, former_maya, downtown, fiona):
    bram = MemberFactory(home_club=downtown, first_name="Bram", email="bram@example.com")
    signed_in(client, bram).post(URL, {"member": former_maya.pk})

    assert erasure.open_request(former_maya) is None
    assert erasure.open_request(bram) is not None
    assert "You asked on" not in words(signed_in(client, former_maya).get(URL))
    # Staff have no member behind their login here.
    client.force_login(fiona)
    assert client.post(URL).status_code == 403
    assert Task.objects.filter(member=former_maya).count() == 0


def test_the_request_is_on_the_task_screen_of_the_managers_of_the_club_only(
    client, former_maya, riverside, max, fiona
):
    signed_in(client, former_maya).post(URL)
    rita = UserFactory(username="rita", clubs=[riverside], roles=[roles.MANAGER])
    title = "Erase personal data: requested by the member"

    screens = {}
    for user in (max, fiona, rita):
        client.force_login(user)
        screens[user.username] = client.get(reverse("desk:tasks")).content.decode()
    client.force_login(max)
    card = words(client.get(reverse("desk:member", args=[former_maya.pk])))

    assert title in screens["max"] and "Maya Jansen" in screens["max"]
    assert title not in screens["fiona"]  # the front desk's list has only theirs
    assert title not in screens["rita"]
    assert "Erasure of personal data requested by the member, in the portal" in card


def test_a_managers_erasure_closes_the_request_as_done(client, former_maya, max):
    signed_in(client, former_maya).post(URL)
    staff_tasks.open_task(former_maya, title="Call Maya", due_in=dt.timedelta(hours=1))
    client.force_login(max)

    client.post(reverse("desk:erase_data", args=[former_maya.pk]), {"reason": "Her request"})

    former_maya.refresh_from_db()
    assert former_maya.is_erased
    request_task = Task.objects.get(member=former_maya, assigned_role=roles.MANAGER)
    assert request_task.status == Task.Status.DONE and request_task.done_by == max
    assert Task.objects.get(member=former_maya, assigned_role="").status == "cancelled"
    assert former_maya.events.get(kind=MemberEvent.Kind.ERASURE_REQUESTED).data == {
        "task": request_task.pk
    }
    assert erasure.open_request(former_maya) is None
