"""Who may change which rule: staff change a rule only when every club it applies at is one
of theirs (a chain-wide rule: only staff of every club); the others see it read-only.

Downtown and Riverside both exist here: Mia (marketing) and Max (manager) work at Downtown
only, Carla does the chain's marketing, Ruben manages Riverside.
"""

import pytest
from django.urls import reverse

from campaigns.backoffice.access import can_change_rule
from campaigns.models import Rule
from club import roles
from tests.factories import UserFactory
from tests.test_playbook_screens import FORBIDDEN, form_data, outcome, text

NOTE = (
    "This rule also applies at Riverside, where you do not work: only staff of every club "
    "it applies to can change it."
)


@pytest.fixture
def reminder(riverside) -> Rule:
    """Rule 15, chain-wide: it applies at Downtown and at Riverside."""
    rule = Rule.objects.get(number=15)
    assert not rule.clubs.exists()
    return rule


@pytest.fixture
def ruben(riverside):
    return UserFactory(username="ruben", clubs=[riverside], roles=[roles.MANAGER])


@pytest.fixture
def superuser(db):
    return UserFactory(username="root", is_superuser=True)


def edit_url(rule: Rule) -> str:
    return reverse("playbook:rule_edit", args=[rule.pk])


def saved(rule: Rule) -> dict:
    return {**Rule.objects.filter(pk=rule.pk).values().get(), "clubs": set(rule.clubs.all())}


# --- chain-wide rules -------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["carla", "superuser"])
def test_staff_of_every_club_change_a_chain_wide_rule(client, request, reminder, persona):
    client.force_login(request.getfixturevalue(persona))

    page = client.get(edit_url(reminder))
    response = client.post(edit_url(reminder), form_data(reminder, name="Renew soon"))

    assert ">Save</button>" in page.content.decode()
    assert NOTE not in text(page)
    assert response.status_code == 302
    reminder.refresh_from_db()
    assert reminder.name == "Renew soon"
    assert not reminder.clubs.exists()


@pytest.mark.parametrize("persona", ["mia", "max"])
def test_a_chain_wide_rule_is_view_only_for_staff_of_one_club(client, request, reminder, persona):
    client.force_login(request.getfixturevalue(persona))

    page = client.get(edit_url(reminder))

    assert NOTE in text(page)
    assert ">Save</button>" not in page.content.decode()
    form = page.context["form"]
    assert all(field.disabled for field in form.fields.values())
    # The dry run and the preview stay theirs.
    assert client.get(reverse("playbook:rule_dry_run", args=[reminder.pk])).status_code == 200
    assert client.get(reverse("playbook:rule_preview", args=[reminder.pk])).status_code == 200


@pytest.mark.parametrize(
    "changes",
    [
        {"name": "Mine now"},
        {"template": "Changed for everyone"},
        {"is_active": None},  # switched off
        {"clubs": []},
    ],
)
@pytest.mark.parametrize("persona", ["mia", "max"])
def test_a_save_of_a_view_only_rule_is_refused_and_changes_nothing(
    client, request, reminder, downtown, persona, changes
):
    client.force_login(request.getfixturevalue(persona))
    before = saved(reminder)
    data = form_data(reminder, **changes)

    response = client.post(edit_url(reminder), data)
    ticked = client.post(edit_url(reminder), {**data, "clubs": [downtown.pk]})

    assert outcome(response) == outcome(ticked) == FORBIDDEN
    assert saved(reminder) == before


def test_the_playbook_marks_the_rules_one_may_only_view(client, mia, reminder, downtown):
    welcome = Rule.objects.get(number=7)
    welcome.clubs.set([downtown])
    client.force_login(mia)

    response = client.get(reverse("playbook:index"))

    rows = {row["rule"].number: row for row in response.context["rows"]}
    assert (rows[15]["can_change"], rows[7]["can_change"]) == (False, True)
    page = response.content.decode()
    row_15 = page.split('data-rule="15"')[1].split("</tr>")[0]
    row_7 = page.split('data-rule="7"')[1].split("</tr>")[0]
    assert "chain-wide · view only" in row_15 and ">View</a>" in row_15
    assert "view only" not in row_7 and ">Edit</a>" in row_7


def test_can_change_rule_asks_every_club_the_rule_applies_at(
    mia, carla, reminder, downtown, riverside
):
    assert (can_change_rule(mia, reminder), can_change_rule(carla, reminder)) == (False, True)
    reminder.clubs.set([downtown])
    assert can_change_rule(mia, reminder)
    reminder.clubs.set([downtown, riverside])
    assert not can_change_rule(mia, reminder)


# --- rules of one club ------------------------------------------------------------------


def test_a_marketer_of_one_club_changes_that_clubs_rule(client, mia, reminder, downtown):
    reminder.clubs.set([downtown])
    client.force_login(mia)

    response = client.post(
        edit_url(reminder), form_data(reminder, name="Downtown reminder", is_active=None)
    )

    assert response.status_code == 302
    reminder.refresh_from_db()
    assert (reminder.name, reminder.is_active) == ("Downtown reminder", False)
    assert list(reminder.clubs.all()) == [downtown]


def test_a_marketer_of_one_club_cannot_tick_another_club(
    client, mia, reminder, downtown, riverside
):
    reminder.clubs.set([downtown])
    client.force_login(mia)
    before = saved(reminder)

    response = client.post(
        edit_url(reminder), form_data(reminder, name="Both", clubs=[downtown.pk, riverside.pk])
    )

    assert response.status_code == 200
    assert "Select a valid choice" in " ".join(response.context["form"].errors["clubs"])
    assert list(response.context["form"].fields["clubs"].queryset) == [downtown]
    assert saved(reminder) == before


def test_a_marketer_of_one_club_cannot_make_a_rule_chain_wide(client, mia, reminder, downtown):
    reminder.clubs.set([downtown])
    client.force_login(mia)
    before = saved(reminder)

    response = client.post(edit_url(reminder), form_data(reminder, name="Everywhere", clubs=[]))

    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["clubs"]
    assert "Tick at least one of your clubs" in response.context["form"].errors["clubs"][0]
    assert saved(reminder) == before


def test_another_clubs_manager_does_not_find_a_rule_of_one_club(client, ruben, reminder, downtown):
    reminder.clubs.set([downtown])
    client.force_login(ruben)
    before = saved(reminder)

    page = client.get(edit_url(reminder))
    post = client.post(edit_url(reminder), form_data(reminder, name="Riverside's now"))
    playbook = client.get(reverse("playbook:index"))

    assert (page.status_code, post.status_code) == (404, 404)
    assert 15 not in [row["rule"].number for row in playbook.context["rows"]]
    assert saved(reminder) == before


# --- adding a rule ----------------------------------------------------------------------


def new_rule(**changes) -> dict:
    """A new rule as the editor posts it: a copy of rule 15 under number 30."""
    return form_data(Rule.objects.get(number=15), number=30, name="Last call", **changes)


def test_a_new_rule_of_one_clubs_staff_must_tick_one_of_their_clubs(client, mia, riverside):
    client.force_login(mia)

    response = client.post(reverse("playbook:rule_add"), new_rule(clubs=[]))

    assert response.status_code == 200
    form = response.context["form"]
    assert list(form.errors) == ["clubs"]
    assert "Tick at least one of your clubs" in form.errors["clubs"][0]
    assert form["name"].value() == "Last call"  # what was typed is kept
    assert not Rule.objects.filter(number=30).exists()


def test_a_new_rule_of_one_clubs_staff_applies_at_their_club(client, mia, downtown, riverside):
    client.force_login(mia)

    response = client.post(reverse("playbook:rule_add"), new_rule(clubs=[downtown.pk]))

    assert response.status_code == 302
    assert list(Rule.objects.get(number=30).clubs.all()) == [downtown]


def test_staff_of_every_club_add_a_chain_wide_rule(client, carla):
    client.force_login(carla)

    response = client.post(reverse("playbook:rule_add"), new_rule(clubs=[]))

    assert response.status_code == 302
    assert not Rule.objects.get(number=30).clubs.exists()
