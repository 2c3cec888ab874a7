from __future__ import annotations

import datetime as dt
import json

from django import forms
from django.template import TemplateDoesNotExist, TemplateSyntaxError

from campaigns import evaluator, triggers
from campaigns.models import Channel, Rule
from checkin.models import CheckInAttempt
from club.admin_access import scope
from club.models import Club
from members.models import Member
from memberships.models import Plan

PERIODS = [(7, "Last 7 days"), (30, "Last 30 days"), (90, "Last 90 days")]


class PeriodForm(forms.Form):
    days = forms.TypedChoiceField(
        choices=PERIODS, coerce=int, initial=30, required=False, empty_value=30, label="Show"
    )


def _whole(minimum: int):
    def check(value) -> str:
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            return f"a whole number of at least {minimum}"
        return ""

    return check


def _time(value) -> str:
    try:
        dt.time.fromisoformat(value)
    except (TypeError, ValueError):
        return 'a local time such as "10:00"'
    return ""


def _one_of(*allowed: str):
    def check(value) -> str:
        return "" if value in allowed else "one of " + ", ".join(f'"{a}"' for a in allowed)

    return check


def _reasons(value) -> str:
    allowed = set(CheckInAttempt.Reason.values)
    if isinstance(value, list) and value and set(value) <= allowed:
        return ""
    return "a list of denial reasons from " + ", ".join(sorted(allowed))


def _lead_sources(value) -> str:
    allowed = set(Member.Source.values)
    if isinstance(value, list) and set(value) <= allowed:
        return ""
    return "a list of lead sources from " + ", ".join(sorted(allowed))


def _flag(value) -> str:
    return "" if isinstance(value, bool) else "true or false"


# Every parameter a trigger kind (or the evaluator, for "quiet_hours") reads, and what it
# must be. A parameter a kind does not read is refused: "day" for "days" would otherwise
# fall back to the default without a word. A new parameter in triggers.py goes here too.
PARAMETERS = {
    "days": _whole(1),
    "delay_minutes": _whole(0),
    "hours_before": _whole(0),
    "hours_after": _whole(0),
    "n": _whole(1),
    "visits": _whole(0),
    "at": _time,
    "quiet_hours": _one_of("after", "before"),
    "reasons": _reasons,
    "except_sources": _lead_sources,
    "unless_trial_booked": _flag,
}

# Parameters only one trigger kind reads: elsewhere they would be ignored without a word.
ONE_KIND_PARAMETERS = {
    "except_sources": "lead_created",
    "unless_trial_booked": "lead_created",
}

# What the staff-task channel reads (campaigns/channels/staff_task.py), on task rules only.
TASK_PARAMETERS = {
    "due_minutes": _whole(1),
    "assign": _one_of("trainer"),
    "escalate_when_late": _flag,
}


def parameter_problems(kind: str, params: dict, channel: str | None = None) -> list[str]:
    """What is wrong with `params` for the trigger kind (and the channel, whose own
    parameters staff tasks have), in words; empty when nothing is."""
    label = triggers.get(kind).label
    known = PARAMETERS | (TASK_PARAMETERS if channel == Channel.TASK else {})
    problems = []
    for key, value in params.items():
        if key in TASK_PARAMETERS and key not in known:
            problems.append(f'"{key}" is for staff-task rules only.')
        elif key not in known:
            problems.append(f'"{key}" is not a parameter (known: {", ".join(known)}).')
        elif (only := ONE_KIND_PARAMETERS.get(key, kind)) != kind:
            problems.append(f'"{key}" is only for the "{triggers.get(only).label}" trigger.')
        elif expected := known[key](value):
            problems.append(f'"{key}" must be {expected}.')
    if not problems:
        try:
            triggers.get(kind).describe(params)
        except KeyError as missing:
            problems.append(f"{label} needs the parameter {missing}.")
    return problems


INVALID_JSON = 'Not valid JSON: give an object such as {"days": 7}.'
NOT_AN_OBJECT = 'Give a JSON object such as {"days": 7}, not a list or value.'


def timing(kind: str, params_text: str, channel: str | None = None) -> tuple[str, list[str]]:
    """The editor's unsaved trigger and parameters (as typed: JSON) in words, as the
    evaluator explains a touchpoint (the trigger kind's own `describe`), or what stops that
    in words: (words, problems), one of them empty."""
    if kind not in triggers.REGISTRY:
        return "", [f"{kind!r} is not a trigger kind." if kind else "Choose a trigger."]
    try:
        params = json.loads(params_text) if params_text.strip() else None
    except ValueError:
        return "", [INVALID_JSON]
    params = {} if params is None else params  # empty, or "null": as saving takes them
    if not isinstance(params, dict):
        return "", [NOT_AN_OBJECT]
    if problems := parameter_problems(kind, params, channel):
        return "", problems
    return triggers.get(kind).describe(params), []


def template_problem(text: str) -> str:
    """A template error in words, or "": compiled with the evaluator's own engine, and
    rendered (an include fails only then) with every name it reads given as "" — a variable
    filter argument (`default:last_name`) raises when missing, and a filter that fails on an
    empty value (`{{ visits|divisibleby:2 }}`) would fail a member's message at send time.
    field_problem judges names."""
    try:
        evaluator.render(text, dict.fromkeys(evaluator.names_read(text), ""))
    except TemplateSyntaxError as error:
        return f"Template error: {error}"
    except TemplateDoesNotExist:
        return "Messages cannot include other templates."
    except evaluator.RenderError as error:
        return (
            f"Template error: {error} A field can be empty: give it a default first, "
            "e.g. {{ visits|default:0|divisibleby:2 }}."
        )
    return ""


def field_problem(text: str, kind: str) -> str:
    """The names `text` reads that a rule with this trigger kind does not give, in words, or
    "": a misspelled field would otherwise be sent as an empty string."""
    available = evaluator.template_fields(kind)
    unknown = [name for name in evaluator.names_read(text) if name not in available]
    if not unknown:
        return ""
    names = ", ".join(f'"{name}"' for name in unknown)
    verb = "is not a field" if len(unknown) == 1 else "are not fields"
    return f"{names} {verb} this rule can use (available: {', '.join(available)})."


def text_problems(kind: str, channel: str | None, *, subject: str, template: str) -> dict[str, str]:
    """What saving says about a rule's texts, by field ("subject", "template"): a template
    error, else the names a rule of this trigger kind does not give (in a subject only when
    it is sent: with an email). The editor's preview shows the same, from here."""
    problems = {}
    for name, text in (("subject", subject), ("template", template)):
        if not text:
            continue
        problem = template_problem(text)
        if (
            not problem
            and kind in triggers.REGISTRY
            and (name == "template" or channel == Channel.EMAIL)
        ):
            problem = field_problem(text, kind)
        if problem:
            problems[name] = problem
    return problems


class RuleForm(forms.ModelForm):
    trigger = forms.ChoiceField(
        label="Trigger", help_text="What makes the rule fire; its timing is set by the parameters."
    )
    params = forms.JSONField(
        label="Parameters",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"invalid": INVALID_JSON},
        help_text='A JSON object, e.g. {"days": 7, "at": "10:00"}.',
    )
    stages = forms.MultipleChoiceField(
        choices=Member.Stage.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Only members in these stages on the day it is due (none ticked: any).",
    )
    plan_kinds = forms.MultipleChoiceField(
        label="Plan kinds",
        choices=Plan.Kind.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Only members holding one of these kinds of plan (none ticked: any).",
    )
    clubs = forms.ModelMultipleChoiceField(
        queryset=Club.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Only at these clubs (none ticked: at every club).",
    )
    holdout_percent = forms.IntegerField(
        label="Holdout %",
        min_value=0,
        max_value=100,
        help_text="Share of members held out as a control group, never sent.",
    )

    class Meta:
        model = Rule
        fields = [
            "number",
            "name",
            "trigger",
            "params",
            "channel",
            "subject",
            "template",
            "stages",
            "plan_kinds",
            "clubs",
            "priority",
            "is_marketing",
            "holdout_percent",
            "is_active",
        ]
        widgets = {"template": forms.Textarea(attrs={"rows": 6})}
        labels = {"is_marketing": "Marketing message", "is_active": "Active"}
        help_texts = {
            "template": "Django template syntax, e.g. {{ first_name }}; the preview lists the "
            "fields this trigger offers. SMS is plain text.",
            "subject": "Email only; may use the same fields.",
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["trigger"].choices = [
            (kind.name, kind.label) for kind in triggers.REGISTRY.values()
        ]
        if self.instance.trigger and self.instance.trigger not in triggers.REGISTRY:
            # Keep an unknown stored kind visible, so the error below can name it.
            self.fields["trigger"].choices.append((self.instance.trigger, self.instance.trigger))
        self.fields["clubs"].queryset = scope(Club.objects.order_by("name"), user)
        if self.instance.pk:
            # Staff and analytics refer to "rule 15": the number stays what it was.
            self.fields["number"].disabled = True
            self.fields["number"].help_text = "How staff refer to the rule; it does not change."

    def clean_trigger(self):
        kind = self.cleaned_data["trigger"]
        if kind not in triggers.REGISTRY:
            raise forms.ValidationError(f"{kind!r} is not a trigger kind.")
        return kind

    def clean_params(self):
        params = self.cleaned_data["params"]
        if params is None:
            return {}
        if not isinstance(params, dict):
            raise forms.ValidationError(NOT_AN_OBJECT)
        return params

    def clean_clubs(self):
        # Clubs the editor does not work at stay as they were: unseen is not unticked.
        chosen = list(self.cleaned_data["clubs"])
        if self.instance.pk:
            seen = self.fields["clubs"].queryset
            chosen += list(self.instance.clubs.exclude(pk__in=seen))
        return chosen

    def clean(self):
        data = super().clean()
        kind, params = data.get("trigger"), data.get("params")
        if kind in triggers.REGISTRY and isinstance(params, dict):
            for problem in parameter_problems(kind, params, data.get("channel")):
                self.add_error("params", problem)
        if data.get("channel") == Channel.EMAIL and not data.get("subject"):
            self.add_error("subject", "An email needs a subject.")
        texts = text_problems(
            kind,
            data.get("channel"),
            subject=data.get("subject", ""),
            template=data.get("template", ""),
        )
        for name, problem in texts.items():
            self.add_error(name, problem)
        return data
