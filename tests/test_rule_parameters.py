"""Marketing edits a rule's parameters as labelled fields of the trigger kind chosen (and of
the channel: a staff task's own), not as JSON; htmx asks for the fields again as the trigger
or channel changes, keeping the values that still apply."""

import html
import re

import pytest
from django.urls import reverse

from campaigns import triggers
from campaigns.backoffice import forms
from campaigns.models import Rule
from tests.test_playbook_screens import form_data
from tests.test_rule_timing import timing_text

FIELD = re.compile(r'(?<!type="hidden" )name="param_(\w+)"')
CARRIED = re.compile(r'<input type="hidden" name="param_(\w+)" value="([^"]*)">')


def parameters(client, **query):
    return client.get(reverse("playbook:rule_parameters"), query, headers={"HX-Request": "true"})


def field_names(response) -> list[str]:
    """The parameter fields in the page, in order, each once (not the values carried)."""
    return list(dict.fromkeys(FIELD.findall(response.content.decode())))


@pytest.fixture
def offer(db) -> Rule:
    return Rule.objects.get(number=14)


@pytest.mark.parametrize("kind", list(triggers.REGISTRY))
def test_each_trigger_kind_shows_a_field_per_parameter_it_reads(client, mia, kind):
    client.force_login(mia)
    declared = [parameter.name for parameter in triggers.get(kind).params]

    message = parameters(client, trigger=kind, channel="sms")
    task = parameters(client, trigger=kind, channel="task")

    assert field_names(message) == [*declared, "quiet_hours", "max_delay_hours"]
    assert field_names(task) == [*declared, "due_minutes", "assign", "escalate_when_late"]


def test_every_parameter_has_a_check_and_a_field():
    names = {p.name for kind in triggers.REGISTRY.values() for p in kind.params}
    names |= {p.name for p in forms.MESSAGE_PARAMETERS + forms.TASK_PARAMETERS}

    assert names == forms.PARAMETERS.keys() == forms.PARAMETER_FIELDS.keys()


def test_the_fields_have_the_right_widgets_and_say_what_they_do(client, mia, offer):
    client.force_login(mia)

    page = html.unescape(
        client.get(reverse("playbook:rule_edit", args=[offer.pk])).content.decode()
    )

    assert re.search(r'<input type="number" name="param_days" value="30"[^>]*min="1"', page)
    assert re.search(r'<input type="time" name="param_at" value="10:00"', page)
    assert "Days before the membership ends." in page
    assert '<select name="param_quiet_hours"' in page
    denied = html.unescape(parameters(client, trigger="check_in_denied", channel="sms").text)
    assert 'type="checkbox" name="param_reasons" value="expired"' in denied
    lead = html.unescape(parameters(client, trigger="lead_created", channel="task").text)
    assert 'type="checkbox" name="param_unless_trial_booked"' in lead
    assert 'type="checkbox" name="param_except_sources" value="walk_in"' in lead


def test_days_without_visit_says_a_freeze_restarts_the_count(client, mia):
    client.force_login(mia)

    away = html.unescape(parameters(client, trigger="days_without_visit", channel="sms").text)

    assert "Days without a visit, counted again from the end of a freeze." in away
    assert "days frozen do not count" not in away


def test_switching_the_trigger_keeps_the_values_that_still_apply(client, mia):
    client.force_login(mia)
    typed = {"param_days": "9", "param_at": "11:15", "param_quiet_hours": "before"}

    ended = parameters(client, trigger="membership_ended", channel="sms", **typed)
    birthday = parameters(client, trigger="birthday", channel="sms", **typed)

    assert field_names(ended) == ["days", "at", "quiet_hours", "max_delay_hours"]
    page = ended.content.decode()
    assert 'name="param_days" value="9"' in page and 'name="param_at" value="11:15"' in page
    assert '<option value="before" selected>' in page
    assert timing_text(ended) == "Fires 9 days after a membership ended, if not renewed."
    assert field_names(birthday) == ["at", "quiet_hours", "max_delay_hours"]
    assert timing_text(birthday) == "Fires on the member's birthday at 11:15."


def test_a_value_typed_for_another_trigger_comes_back_when_switching_back(client, mia, offer):
    client.force_login(mia)
    typed = {"param_days": "21", "param_at": "11:15", "param_quiet_hours": ""}

    # Mia types 21 days, switches to Birthday, then back to Membership ends soon
    birthday = parameters(client, trigger="birthday", channel="sms", **typed)
    carried = dict(CARRIED.findall(birthday.content.decode()))
    back = parameters(
        client,
        trigger="membership_ends_in",
        channel="sms",
        param_at="11:15",
        **{f"param_{name}": value for name, value in carried.items()},
    )

    assert carried == {"days": "21"}  # kept out of sight, and blank ones not at all
    assert 'name="param_days" value="21"' in back.content.decode()
    assert CARRIED.findall(back.content.decode()) == []
    # a save ignores what is carried: a birthday rule stores no days
    data = form_data(
        offer, {"at": "11:15"}, trigger="birthday", param_days="21", template="Hi {{ first_name }}"
    )
    client.post(reverse("playbook:rule_edit", args=[offer.pk]), data)
    offer.refresh_from_db()
    assert (offer.trigger, offer.params) == ("birthday", {"at": "11:15"})


def test_switching_to_a_staff_task_shows_the_tasks_fields_and_drops_the_quiet_hours(client, mia):
    client.force_login(mia)

    response = parameters(
        client,
        trigger="lead_created",
        channel="task",
        param_delay_minutes="0",
        param_quiet_hours="before",
    )

    assert field_names(response) == [
        "delay_minutes",
        "except_sources",
        "unless_trial_booked",
        "unless_joined",
        "due_minutes",
        "assign",
        "escalate_when_late",
    ]
    assert 'name="param_delay_minutes" value="0"' in response.content.decode()


def test_saving_assembles_the_params_from_the_fields_leaving_blank_ones_out(client, mia):
    call = Rule.objects.prefetch_related("clubs").get(number=1)
    client.force_login(mia)

    response = client.post(
        reverse("playbook:rule_edit", args=[call.pk]),
        form_data(
            call,
            {"except_sources": ["walk_in", "phone"], "unless_trial_booked": True},
            param_delay_minutes="",
            param_due_minutes="20",
            param_assign="trainer",
        ),
    )

    assert response.status_code == 302, response.context["form"].errors
    call.refresh_from_db()
    assert call.params == {
        "except_sources": ["walk_in", "phone"],
        "unless_trial_booked": True,
        "due_minutes": 20,
        "assign": "trainer",
    }


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"param_days": "-1"}, "param_days", "greater than or equal to 1"),
        # a typo past ten years overflowed the dates and broke the editor and the dry runs
        ({"param_days": "99999999999"}, "param_days", "less than or equal to 3650"),
        ({"param_at": "25:00"}, "param_at", "Enter a time of day as HH:MM"),
        ({"param_quiet_hours": "never"}, "param_quiet_hours", "Select a valid choice"),
    ],
)
def test_bad_parameter_input_is_an_error_under_its_field_and_nothing_is_saved(
    client, mia, offer, changes, field, message
):
    client.force_login(mia)
    before = Rule.objects.filter(pk=offer.pk).values().get()

    response = client.post(
        reverse("playbook:rule_edit", args=[offer.pk]), form_data(offer, name="X", **changes)
    )

    errors = response.context["form"].errors
    assert list(errors) == [field] and message in errors[field][0]
    assert Rule.objects.filter(pk=offer.pk).values().get() == before


def test_a_stored_parameter_the_rule_does_not_read_is_kept_as_an_error_to_fix(client, mia, offer):
    Rule.objects.filter(pk=offer.pk).update(params={"days": 30, "day": 7})
    offer.refresh_from_db()
    client.force_login(mia)

    shown = client.get(reverse("playbook:rule_edit", args=[offer.pk]))
    refused = client.post(
        reverse("playbook:rule_edit", args=[offer.pk]),
        form_data(offer, {"days": 30}, params='{"day": 7}'),
    )

    assert shown.context["form"]["params"].value() == '{"day": 7}'
    assert timing_text(shown).startswith('"day" is not a parameter')
    assert refused.context["form"].errors["params"][0].startswith('"day" is not a parameter')
    offer.refresh_from_db()
    assert offer.params == {"days": 30, "day": 7}

    # emptying the box is saying so: then it goes
    removed = client.post(
        reverse("playbook:rule_edit", args=[offer.pk]), form_data(offer, {"days": 30}, params="")
    )
    assert removed.status_code == 302
    offer.refresh_from_db()
    assert offer.params == {"days": 30}


def test_how_late_a_message_may_still_go_is_a_field_too(client, mia, offer):
    client.force_login(mia)

    response = client.post(
        reverse("playbook:rule_edit", args=[offer.pk]),
        form_data(offer, param_max_delay_hours="12"),
    )

    assert response.status_code == 302, response.context["form"].errors
    offer.refresh_from_db()
    assert offer.params == {"days": 30, "at": "10:00", "max_delay_hours": 12}


def test_a_message_that_cannot_wait_is_sent_in_the_quiet_hours_too(client, mia, offer):
    client.force_login(mia)

    response = client.post(
        reverse("playbook:rule_edit", args=[offer.pk]),
        form_data(offer, param_quiet_hours="at_once"),
    )

    assert response.status_code == 302, response.context["form"].errors
    offer.refresh_from_db()
    assert offer.params == {"days": 30, "at": "10:00", "quiet_hours": "at_once"}
    shown = client.get(reverse("playbook:rule_edit", args=[offer.pk])).content.decode()
    assert '<option value="at_once" selected>Send it at once: it cannot wait</option>' in shown


def test_a_message_about_a_class_may_wait_unless_that_is_too_late(client, mia, offer):
    client.force_login(mia)

    response = client.post(
        reverse("playbook:rule_edit", args=[offer.pk]),
        form_data(offer, param_quiet_hours="at_once_if_late"),
    )

    assert response.status_code == 302, response.context["form"].errors
    offer.refresh_from_db()
    assert offer.params == {"days": 30, "at": "10:00", "quiet_hours": "at_once_if_late"}
    shown = client.get(reverse("playbook:rule_edit", args=[offer.pk])).content.decode()
    assert (
        '<option value="at_once_if_late" selected>'
        "Send it when they end, or at once if the class starts before then</option>"
    ) in shown


def test_an_unknown_quiet_hours_choice_is_refused(client, mia, offer):
    client.force_login(mia)

    response = client.post(
        reverse("playbook:rule_edit", args=[offer.pk]),
        form_data(offer, param_quiet_hours="whenever"),
    )

    assert response.status_code == 200
    assert "param_quiet_hours" in response.context["form"].errors
    offer.refresh_from_db()
    assert "quiet_hours" not in offer.params


def test_a_default_stored_explicitly_shows_and_saves_as_the_default(client, mia, offer):
    Rule.objects.filter(pk=offer.pk).update(params={"days": 30, "quiet_hours": "after"})
    client.force_login(mia)

    shown = client.get(reverse("playbook:rule_edit", args=[offer.pk]))
    switched = parameters(
        client,
        trigger="membership_ended",
        channel="sms",
        param_days="30",
        param_quiet_hours="after",
    )
    saved = client.post(
        reverse("playbook:rule_edit", args=[offer.pk]),
        form_data(offer, {"days": 30, "quiet_hours": "after"}),
    )

    assert '<option value="" selected>' in shown.content.decode()
    assert "params" not in shown.context["form"].fields
    assert timing_text(switched) == "Fires 30 days after a membership ended, if not renewed."
    assert saved.status_code == 302, saved.context["form"].errors
    offer.refresh_from_db()
    assert offer.params == {"days": 30}
