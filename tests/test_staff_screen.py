"""Managers run their clubs' staff on the Staff screen: add, change roles and clubs,
deactivate and reactivate, without a superuser and only within their own clubs."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from wagtail.models import ModelLogEntry

from club import roles
from tests.factories import PASSWORD, ClubFactory, UserFactory

OK, FORBIDDEN, NOT_FOUND = "ok", "forbidden", "not found"
User = get_user_model()


def outcome(response) -> str:
    # Wagtail answers PermissionDenied in the admin with a redirect to its dashboard.
    if response.status_code == 302 and response["Location"] == reverse("wagtailadmin_home"):
        return FORBIDDEN
    return {200: OK, 404: NOT_FOUND}.get(response.status_code, str(response.status_code))


def new_staff(**overrides) -> dict:
    return {
        "first_name": "Nina",
        "last_name": "de Boer",
        "email": "nina@example.com",
        "username": "nina",
        "roles": [roles.FRONT_DESK],
        **overrides,
    }


def errors(response) -> dict:
    assert response.status_code == 200, response
    return response.context["form"].errors


@pytest.fixture
def rick(riverside):
    """Riverside's manager."""
    return UserFactory(username="rick", clubs=[riverside], roles=[roles.MANAGER])


@pytest.fixture
def manager(client, max):
    client.force_login(max)
    return client


def test_the_list_shows_the_staff_of_the_managers_clubs_only(
    manager, max, fiona, tom, olga, riverside
):
    both = UserFactory(username="bo", first_name="Bo", last_name="Ek", clubs=[riverside])
    both.clubs.add(max.clubs.get())
    UserFactory(username="root", is_superuser=True, clubs=[max.clubs.get()])

    response = manager.get(reverse("staff:index"))

    # Bo works at both clubs and is listed once; Olga (Riverside only) and the superuser not
    assert {u.username for u in response.context["object_list"]} == {"max", "fiona", "tom", "bo"}
    html = response.content.decode()
    assert (
        "Fiona de Vries" in html and "Front desk" in html and ">Name<" in re.sub(r"\s+", "", html)
    )
    assert "Downtown, Riverside" in html  # Bo's clubs
    assert "olga" not in html and "root" not in html


def test_the_list_searches_by_name(manager, fiona, tom):
    response = manager.get(reverse("staff:index"), {"q": "fiona de v"})

    assert [u.username for u in response.context["object_list"]] == ["fiona"]


def test_the_list_costs_the_same_queries_for_more_staff(manager, downtown):
    def listing_queries() -> int:
        with CaptureQueriesContext(connection) as queries:
            manager.get(reverse("staff:index"))
        return len(queries)

    UserFactory(clubs=[downtown], roles=[roles.TRAINER])
    few = listing_queries()
    for _ in range(12):
        UserFactory(clubs=[downtown], roles=[roles.TRAINER, roles.FRONT_DESK])

    assert listing_queries() == few


def test_a_manager_adds_a_staff_member_who_sets_their_own_password(
    client, max, downtown, django_capture_on_commit_callbacks
):
    client.force_login(max)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("staff:add"),
            new_staff(clubs=[downtown.pk], roles=[roles.FRONT_DESK, roles.TRAINER]),
        )

    assert response.status_code == 302
    nina = User.objects.get(username="nina")
    assert (nina.get_full_name(), nina.email) == ("Nina de Boer", "nina@example.com")
    assert sorted(nina.groups.values_list("name", flat=True)) == ["Front desk", "Trainer"]
    assert list(nina.clubs.all()) == [downtown]
    assert (nina.is_active, nina.is_staff, nina.is_superuser) == (True, True, False)
    assert not nina.has_usable_password()
    # the email's link sets the password through Wagtail's reset page, and then she signs in
    (email,) = mail.outbox
    assert email.to == ["nina@example.com"]
    (link,) = re.findall(r"http\S+/password_reset/confirm/\S+", email.body)
    client.logout()
    form = client.get(link.split("testserver", 1)[-1], follow=True)
    assert form.status_code == 200
    set_password = client.post(
        form.redirect_chain[-1][0],
        {"new_password1": "a-long-new-passw0rd", "new_password2": "a-long-new-passw0rd"},
    )
    assert set_password.status_code == 302
    assert client.login(username="nina", password="a-long-new-passw0rd")
    (entry,) = ModelLogEntry.objects.filter(action="wagtail.create", object_id=str(nina.pk))
    assert entry.user == max


def test_the_add_form_grants_nothing_beyond_the_roles(client, max, downtown):
    admins = Group.objects.create(name="Admins")
    client.force_login(max)

    client.post(
        reverse("staff:add"),
        new_staff(
            clubs=[downtown.pk],
            is_superuser="on",
            is_staff="off",
            groups=[admins.pk],
            user_permissions=[1],
        ),
    )

    nina = User.objects.get(username="nina")
    assert (nina.is_superuser, nina.is_staff) == (False, True)
    assert list(nina.groups.values_list("name", flat=True)) == [roles.FRONT_DESK]
    assert not nina.user_permissions.exists()


@pytest.mark.parametrize(
    ("form", "field", "message"),
    [
        pytest.param({"username": "FIONA"}, "username", "This login is taken", id="username"),
        pytest.param(
            {"email": "Fiona@Example.com"}, "email", "Another login already has this", id="email"
        ),
        pytest.param({"roles": []}, "roles", "This field is required.", id="no-role"),
        pytest.param({"roles": ["Superuser"]}, "roles", "Select a valid choice", id="bad-role"),
        pytest.param({"clubs": []}, "clubs", "This field is required.", id="no-club"),
        pytest.param({"email": ""}, "email", "This field is required.", id="no-email"),
    ],
)
def test_bad_input_adds_nobody(client, max, fiona, downtown, form, field, message, mailoutbox):
    fiona.email = "fiona@example.com"
    fiona.save()
    client.force_login(max)

    response = client.post(reverse("staff:add"), new_staff(clubs=[downtown.pk]) | form)

    assert message in " ".join(errors(response)[field])
    assert not User.objects.filter(username__in=["nina", "FIONA"]).exists()
    assert mailoutbox == []


def test_a_club_not_the_managers_posted_by_hand_is_refused(client, max, riverside):
    client.force_login(max)

    response = client.post(reverse("staff:add"), new_staff(clubs=[riverside.pk]))

    assert list(errors(response)) == ["clubs"]
    assert not User.objects.filter(username="nina").exists()


def test_a_username_taken_by_a_superuser_is_a_field_error_too(client, max, downtown):
    UserFactory(username="root", is_superuser=True)
    client.force_login(max)

    response = client.post(reverse("staff:add"), new_staff(username="root", clubs=[downtown.pk]))

    assert list(errors(response)) == ["username"]


def test_a_manager_changes_roles_and_clubs(client, max, fiona, downtown):
    uptown = ClubFactory(name="Uptown")
    max.clubs.add(uptown)
    client.force_login(max)

    response = client.post(
        reverse("staff:edit", args=[fiona.pk]),
        {
            "first_name": "Fiona",
            "last_name": "Jansen",
            "email": "fiona.j@example.com",
            "roles": [roles.MANAGER],
            "clubs": [uptown.pk],
        },
    )

    assert response.status_code == 302
    fiona.refresh_from_db()
    assert (fiona.last_name, fiona.email) == ("Jansen", "fiona.j@example.com")
    assert list(fiona.groups.values_list("name", flat=True)) == [roles.MANAGER]
    assert set(fiona.clubs.all()) == {uptown}
    (entry,) = ModelLogEntry.objects.filter(action="club.staff.change")
    assert entry.user == max
    assert entry.data["to"] == {"roles": ["Manager"], "clubs": ["Uptown"]}
    history = client.get(reverse("staff:history", args=[fiona.pk])).content.decode()
    assert "Roles Front desk → Manager" in history


def test_someone_who_also_works_at_a_club_not_the_managers_is_left_to_their_managers(
    client, max, fiona, riverside, mailoutbox
):
    # given Fiona also on Riverside's staff: her login, roles and password serve both clubs,
    # so Max changing her email and sending a password link would take over her Riverside login
    fiona.clubs.add(riverside)
    client.force_login(max)
    refused = "Fiona de Vries also works at Riverside: only a manager of all their clubs"

    edit = client.post(
        reverse("staff:edit", args=[fiona.pk]),
        {
            "first_name": "Fiona",
            "last_name": "de Vries",
            "email": "max.owns.this@example.com",
            "roles": [roles.FRONT_DESK],
            "clubs": [fiona.clubs.exclude(pk=riverside.pk).get().pk],
        },
    )
    deactivate = client.post(reverse("staff:deactivate", args=[fiona.pk]))
    password = client.post(reverse("staff:password", args=[fiona.pk]))

    assert refused in str(errors(edit))
    assert refused in deactivate.content.decode() and refused in password.content.decode()
    fiona.refresh_from_db()
    assert fiona.email != "max.owns.this@example.com" and fiona.is_active
    assert not mailoutbox
    assert not ModelLogEntry.objects.exists()


def test_the_edit_page_says_so_before_anything_is_typed_for_someone_also_elsewhere(
    client, max, fiona, riverside
):
    fiona.clubs.add(riverside)
    client.force_login(max)

    page = client.get(reverse("staff:edit", args=[fiona.pk]))

    html = page.content.decode()
    assert "Fiona de Vries also works at Riverside: only a manager of all their clubs" in html
    form = page.context["form"]
    assert all(field.disabled for field in form.fields.values())


def test_the_edit_page_of_someone_only_at_the_managers_clubs_is_editable(client, max, fiona):
    client.force_login(max)

    page = client.get(reverse("staff:edit", args=[fiona.pk]))

    assert "only a manager of all their clubs" not in page.content.decode()
    assert not any(field.disabled for field in page.context["form"].fields.values())


def test_taking_every_club_from_someone_who_works_nowhere_else_is_refused(client, max, fiona):
    client.force_login(max)

    response = client.post(
        reverse("staff:edit", args=[fiona.pk]),
        {"first_name": "F", "last_name": "V", "email": "f@example.com", "roles": [roles.TRAINER]},
    )

    assert errors(response) == {
        "clubs": ["Choose at least one club: a staff member works somewhere."]
    }
    fiona.refresh_from_db()
    assert fiona.first_name == "Fiona"
    assert list(fiona.groups.values_list("name", flat=True)) == [roles.FRONT_DESK]


def test_a_manager_cannot_change_their_own_roles_or_clubs(client, max, downtown):
    client.force_login(max)

    response = client.post(
        reverse("staff:edit", args=[max.pk]),
        {
            "first_name": "Max",
            "last_name": "S",
            "email": "max@example.com",
            "roles": [roles.TRAINER],
        },
    )

    assert response.status_code == 302
    max.refresh_from_db()
    assert max.last_name == "S"
    assert list(max.groups.values_list("name", flat=True)) == [roles.MANAGER]
    assert list(max.clubs.all()) == [downtown]


def test_deactivating_stops_the_login_and_reactivating_restores_it(client, max, fiona):
    other = pytest.importorskip("django.test").Client()
    other.force_login(fiona)
    client.force_login(max)

    response = client.post(reverse("staff:deactivate", args=[fiona.pk]))

    assert response.status_code == 302
    fiona.refresh_from_db()
    assert fiona.is_active is False
    assert not client.login(username="fiona", password=PASSWORD)
    # her open session ends too
    assert other.get(reverse("wagtailadmin_home"))["Location"].startswith(
        reverse("wagtailadmin_login")
    )
    assert User.objects.filter(pk=fiona.pk).exists()  # never deleted
    client.force_login(max)
    assert "Deactivated" in client.get(reverse("staff:index")).content.decode()

    client.post(reverse("staff:reactivate", args=[fiona.pk]))

    fiona.refresh_from_db()
    assert fiona.is_active is True
    assert [e.action for e in ModelLogEntry.objects.order_by("pk")] == [
        "club.staff.deactivate",
        "club.staff.reactivate",
    ]


def test_a_manager_cannot_deactivate_themselves(client, max):
    client.force_login(max)

    response = client.post(reverse("staff:deactivate", args=[max.pk]))

    assert response.status_code == 200
    assert "You cannot deactivate yourself" in response.content.decode()
    max.refresh_from_db()
    assert max.is_active is True
    assert not ModelLogEntry.objects.exists()


def test_a_manager_sends_a_new_password_link(client, max, fiona, mailoutbox):
    client.force_login(max)

    response = client.post(reverse("staff:password", args=[fiona.pk]))

    assert response.status_code == 302
    (email,) = mailoutbox
    assert email.to == [fiona.email]
    assert "/password_reset/confirm/" in email.body


def test_superusers_and_other_clubs_staff_are_not_found(client, max, olga, downtown):
    root = UserFactory(username="root", is_superuser=True, clubs=[downtown])
    client.force_login(max)

    for user in (root, olga):
        for name in ("edit", "deactivate", "password", "history"):
            assert client.get(reverse(f"staff:{name}", args=[user.pk])).status_code == 404
        assert client.post(reverse("staff:deactivate", args=[user.pk])).status_code == 404
        user.refresh_from_db()
        assert user.is_active is True


# Index, add form, and Fiona's edit form, for every role and Riverside's staff.
EXPECTED = {
    "max": (OK, OK, OK),
    "fiona": (FORBIDDEN, FORBIDDEN, FORBIDDEN),
    "tom": (FORBIDDEN, FORBIDDEN, FORBIDDEN),
    "mia": (FORBIDDEN, FORBIDDEN, FORBIDDEN),
    "rick": (OK, OK, NOT_FOUND),  # his own club's staff; Fiona does not exist for him
    "olga": (FORBIDDEN, FORBIDDEN, FORBIDDEN),
}


@pytest.mark.parametrize("persona", list(EXPECTED))
def test_permission_matrix(client, request, fiona, tom, persona):
    user = request.getfixturevalue(persona)
    client.force_login(user)
    urls = [
        reverse("staff:index"),
        reverse("staff:add"),
        reverse("staff:edit", args=[fiona.pk]),
    ]

    got = tuple(outcome(client.get(url)) for url in urls)
    client.post(reverse("staff:deactivate", args=[tom.pk]))

    assert got == EXPECTED[persona]
    tom.refresh_from_db()
    assert tom.is_active is (persona != "max")
    menu = client.get(reverse("wagtailadmin_home")).content.decode()
    assert (urls[0] in menu) is (EXPECTED[persona][0] == OK)


def test_another_clubs_manager_sees_none_of_ours(client, rick, max, fiona, olga):
    client.force_login(rick)

    response = client.get(reverse("staff:index"))

    assert {u.username for u in response.context["object_list"]} == {"olga", "rick"}
    assert "Fiona" not in response.content.decode()


def test_wagtails_users_screen_stays_with_superusers(client, max):
    client.force_login(max)

    assert outcome(client.get(reverse("wagtailusers_users:index"))) == FORBIDDEN
