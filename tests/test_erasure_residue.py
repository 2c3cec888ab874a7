"""What erasure must not leave behind: the erased member's name in Wagtail's audit log (their
record's entries and their rows'), and on other members' records (a same-phone note names
them by id and is read when shown)."""

import importlib
import json

import pytest
from django.apps import apps
from django.urls import reverse
from wagtail.log_actions import log
from wagtail.models import ModelLogEntry

from members import erasure, export, leads
from members.models import MemberEvent
from tests.factories import MemberFactory

REASON = "Asked by email on 20 Nov"


def entry(instance) -> ModelLogEntry:
    return ModelLogEntry.objects.get(
        object_id=str(instance.pk), content_type__model=instance._meta.model_name
    )


@pytest.fixture
def anna(downtown):
    """A lead who shares her phone with a new lead, and has no membership: erasable."""
    return MemberFactory(
        home_club=downtown, first_name="Anna", last_name="Smit", phone="+31611112222"
    )


@pytest.fixture
def bob(downtown, anna):
    """A new lead with Anna's phone: his timeline has a same-phone note about her."""
    member, _ = leads.capture(
        downtown,
        first_name="Bob",
        last_name="Smit",
        phone="+31611112222",
        source="website",
        consent_source="test",
    )
    return member


# --- the audit log ----------------------------------------------------------------------


def test_erasure_scrubs_the_audit_log_of_the_member_and_their_rows(
    frozen_clock, tom_berg, maya, max
):
    # given edits of Tom Berg's record and of his membership in the audit log, and of Maya's
    membership = tom_berg.memberships.get()
    log(instance=tom_berg, action="wagtail.edit", user=max, data={"phone": "+31600000000"})
    log(instance=membership, action="wagtail.create", user=max)
    log(instance=maya, action="wagtail.edit", user=max)
    assert "Tom Berg" in entry(membership).label
    # when a manager erases Tom Berg
    erasure.erase(tom_berg, by=max, reason=REASON)
    # then his entries keep the action, the time and who, but not his name or what changed
    assert (entry(tom_berg).label, entry(tom_berg).data) == (f"Erased member #{tom_berg.pk}", {})
    assert entry(membership).label == f"Membership of erased member #{tom_berg.pk}"
    assert (entry(tom_berg).action, entry(tom_berg).user) == ("wagtail.edit", max)
    # and Maya's is as it was
    assert entry(maya).label == "Maya Jansen"


def test_a_refused_erasure_leaves_the_audit_log_as_it_was(frozen_clock, maya, max):
    # given Maya, whose membership is in force, with an edit in the audit log
    log(instance=maya, action="wagtail.edit", user=max)
    # when a manager tries to erase her
    with pytest.raises(erasure.ErasureRefused):
        erasure.erase(maya, by=max, reason=REASON)
    # then nothing changed
    assert entry(maya).label == "Maya Jansen"


def test_an_erased_members_history_no_longer_names_them(client, frozen_clock, tom_berg, max):
    log(instance=tom_berg, action="wagtail.edit", user=max)
    erasure.erase(tom_berg, by=max, reason=REASON)
    client.force_login(max)

    history = client.get(reverse("members:history", args=[tom_berg.pk]))

    assert history.status_code == 200
    assert f"Erased member #{tom_berg.pk}" in history.content.decode()
    assert "Berg" not in history.content.decode()


# --- other members' records -------------------------------------------------------------


def test_a_same_phone_note_names_the_other_member_when_shown(
    client, frozen_clock, bob, anna, fiona
):
    # given Bob's note, stored by id only
    note = bob.events.get(kind=MemberEvent.Kind.SAME_PHONE)
    assert note.data == {"same_phone_as": [anna.pk], "more": False}
    client.force_login(fiona)
    # when the desk opens Bob's card
    card = client.get(reverse("desk:member", args=[bob.pk])).content.decode()
    # then it names Anna as she is now
    assert f"Same phone as Anna Smit (member #{anna.pk}): check whether" in card


def test_after_erasure_other_records_no_longer_name_the_erased_member(
    client, frozen_clock, bob, anna, max
):
    # given Bob's same-phone note about Anna
    # when Anna is erased
    erasure.erase(anna, by=max, reason=REASON)
    client.force_login(max)
    card = client.get(reverse("desk:member", args=[bob.pk])).content.decode()
    document = export.as_json(bob)
    # then Bob's card says an erased member, and neither it nor Bob's data export names her
    assert f"Same phone as Erased member #{anna.pk}: check whether" in card
    assert "Anna" not in card
    assert "Anna" not in document
    timeline = json.loads(document)["timeline"]
    assert [row["data"] for row in timeline if row["kind"] == "same_phone"] == [
        {"same_phone_as": [anna.pk], "more": False}
    ]


def test_a_note_about_a_member_gone_or_moved_away_names_no_one(frozen_clock, bob, anna, riverside):
    # given Bob's note about Anna, and one about an id that no longer exists
    anna.home_club = riverside
    anna.save(update_fields=["home_club"])
    note = bob.events.get(kind=MemberEvent.Kind.SAME_PHONE)
    gone = MemberEvent.objects.create(
        member=bob, kind=MemberEvent.Kind.SAME_PHONE, at=note.at, data={"same_phone_as": [999999]}
    )
    # when they are read
    texts = leads.same_phone_texts([note, gone], member=bob)
    # then Anna, now another club's, by first name only; the missing one by its number
    assert texts[note.pk].startswith("Same phone as Anna (another club): ")
    assert texts[gone.pk].startswith("Same phone as member #999999: ")


def test_the_migration_turns_named_notes_into_notes_by_id(frozen_clock, downtown, anna):
    # given a same-phone note written before, with the names in its text, and a plain note
    lead = MemberFactory(home_club=downtown, first_name="Bob", phone=anna.phone)
    text = f"Same phone as Anna Smit (member #{anna.pk}) and others: check whether this is"
    old = MemberEvent.objects.create(
        member=lead,
        kind=MemberEvent.Kind.NOTE,
        at=anna.created_at,
        data={"text": text, "same_phone_as": [anna.pk]},
    )
    plain = MemberEvent.objects.create(
        member=lead, kind=MemberEvent.Kind.NOTE, at=anna.created_at, data={"text": "Anna Smit?"}
    )
    migration = importlib.import_module("members.migrations.0025_same_phone_note_by_id")
    # when the migration runs
    migration.notes_by_id(apps, None)
    # then the note keeps the ids and no name; a note staff typed is theirs and stays
    old.refresh_from_db()
    plain.refresh_from_db()
    assert (old.kind, old.data) == ("same_phone", {"same_phone_as": [anna.pk], "more": True})
    assert (plain.kind, plain.data) == ("note", {"text": "Anna Smit?"})


def test_the_migration_scrubs_the_audit_log_of_members_erased_before(
    frozen_clock, tom_berg, maya, max
):
    # given Tom Berg erased before erasure scrubbed the log: his entries still name him
    membership = tom_berg.memberships.get()
    log(instance=tom_berg, action="wagtail.edit", user=max)
    log(instance=membership, action="wagtail.create", user=max)
    log(instance=maya, action="wagtail.edit", user=max)
    erasure.erase(tom_berg, by=max, reason=REASON)
    ModelLogEntry.objects.filter(pk__in=[entry(tom_berg).pk, entry(membership).pk]).update(
        label="Tom Berg", data={"phone": "+31600000000"}
    )
    migration = importlib.import_module("members.migrations.0026_scrub_audit_log_of_erased_members")
    # when the migration runs
    migration.scrub(apps, None)
    # then his entries no longer name him; Maya, not erased, is as she was
    assert (entry(tom_berg).label, entry(tom_berg).data) == (f"Erased member #{tom_berg.pk}", {})
    assert entry(membership).label == f"Membership of erased member #{tom_berg.pk}"
    assert entry(maya).label == "Maya Jansen"
