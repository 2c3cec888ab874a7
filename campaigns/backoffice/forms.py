from __future__ import annotations

import datetime as dt
import json
import re

from django import forms
from django.db.models import Max
from django.template import TemplateDoesNotExist, TemplateSyntaxError
from django.urls import reverse_lazy

from campaigns import evaluator, sms, triggers
from campaigns.backoffice.access import RuleRights
from campaigns.models import Channel, Rule
from checkin.models import CheckInAttempt
from club.admin_access import scope
from club.forms import TimeOfDayField, bounds_as_the_model
from club.models import Club
from members.models import Member
from memberships.models import Plan

# Twelve months: at a small club, or with a 10 % holdout, shorter periods hold too few
# held-out members for the uplift column to say anything.
PERIODS = [(7, "Last 7 days"), (30, "Last 30 days"), (90, "Last 90 days"), (365, "Last 12 months")]


class PeriodForm(forms.Form):
    days = forms.TypedChoiceField(
        choices=PERIODS, coerce=int, initial=30, required=False, empty_value=30, label="Show"
    )


A_WEEK_IN_HOURS = 7 * 24
# The whole-number parameters: (least, most). Past the most it is a typo, and the date
# arithmetic on it overflows: 99999999999 days broke the rule's editor, its dry run and every
# member card's "Coming up".
WHOLE_NUMBERS = {
    "days": (1, 3650),
    "delay_minutes": (0, A_WEEK_IN_HOURS * 60),
    "hours_before": (0, A_WEEK_IN_HOURS),
    "hours_after": (0, A_WEEK_IN_HOURS),
    "n": (1, 10_000),
    "visits": (0, 1_000),
    "max_delay_hours": (1, A_WEEK_IN_HOURS),
    "due_minutes": (1, A_WEEK_IN_HOURS * 60),
}


def _whole(name: str):
    least, most = WHOLE_NUMBERS[name]

    def check(value) -> str:
        if isinstance(value, bool) or not isinstance(value, int) or not least <= value <= most:
            return f"a whole number from {least} to {most}"
        return ""

    return check


def _whole_field(name: str, label: str) -> forms.IntegerField:
    least, most = WHOLE_NUMBERS[name]
    return forms.IntegerField(label=label, min_value=least, max_value=most)


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


# What each parameter a rule's params may hold must be. Which parameters a rule reads is
# declared elsewhere: its trigger kind's in triggers.py (TriggerKind.params), and by channel
# below; a parameter the rule does not read is refused ("day" for "days" would otherwise
# fall back to the default without a word).
PARAMETERS = {
    "days": _whole("days"),
    "delay_minutes": _whole("delay_minutes"),
    "hours_before": _whole("hours_before"),
    "hours_after": _whole("hours_after"),
    "n": _whole("n"),
    "visits": _whole("visits"),
    "at": _time,
    "quiet_hours": _one_of("after", "before", "at_once", "at_once_if_late"),
    "max_delay_hours": _whole("max_delay_hours"),
    "reasons": _reasons,
    "except_sources": _lead_sources,
    "unless_trial_booked": _flag,
    "unless_joined": _flag,
    "due_minutes": _whole("due_minutes"),
    "assign": _one_of("trainer"),
    "escalate_when_late": _flag,
}

# What the evaluator and dispatcher read on message rules (evaluator.send_time, dispatcher.
# send_time_if_due): staff tasks are not moved out of the quiet hours.
MESSAGE_PARAMETERS = (
    triggers.Parameter(
        "quiet_hours", "When it falls due in the club's quiet hours (blank: send it when they end)."
    ),
    triggers.Parameter(
        "max_delay_hours",
        "Hours past its due time it may still go out after quiet hours, else it is dropped "
        "(blank: 24).",
    ),
)

# What the staff-task channel reads (campaigns/channels/staff_task.py), on task rules only.
TASK_PARAMETERS = (
    triggers.Parameter("due_minutes", "Minutes staff have to make the call (blank: 60)."),
    triggers.Parameter("assign", "Who makes the call."),
    triggers.Parameter("escalate_when_late", "Email the club's managers when the task is late."),
)


# The field that edits each parameter, by name: blank (none ticked, unticked) means the
# trigger's default, so only a parameter a kind has no default for is required.
class DefaultAsBlankChoiceField(forms.ChoiceField):
    """A choice whose default value is shown, and saved, as the blank choice: a rule stored
    with it explicitly ("quiet_hours": "after") reads as the default instead of as no choice."""

    def __init__(self, *, default: str, **kwargs):
        super().__init__(**kwargs)
        self.default = default

    def prepare_value(self, value):
        return "" if value == self.default else value

    def to_python(self, value):
        return self.prepare_value(super().to_python(value))


PARAMETER_FIELDS = {
    "days": lambda: _whole_field("days", "Days"),
    "delay_minutes": lambda: _whole_field("delay_minutes", "Delay in minutes"),
    "hours_before": lambda: _whole_field("hours_before", "Hours before"),
    "hours_after": lambda: _whole_field("hours_after", "Hours after"),
    "n": lambda: _whole_field("n", "Visit number"),
    "visits": lambda: _whole_field("visits", "Visits left"),
    "at": lambda: TimeOfDayField(label="Time of day"),
    "quiet_hours": lambda: DefaultAsBlankChoiceField(
        label="In quiet hours",
        default="after",
        choices=[
            ("", "Send it when they end"),
            ("before", "Send it an hour before they start"),
            ("at_once", "Send it at once: it cannot wait"),
            (
                "at_once_if_late",
                "Send it when they end, or at once if the class starts before then",
            ),
        ],
    ),
    "max_delay_hours": lambda: _whole_field("max_delay_hours", "Latest, in hours late"),
    "reasons": lambda: forms.MultipleChoiceField(
        label="Denial reasons",
        choices=CheckInAttempt.Reason.choices,
        widget=forms.CheckboxSelectMultiple,
    ),
    "except_sources": lambda: forms.MultipleChoiceField(
        label="Leave out leads from",
        choices=Member.Source.choices,
        widget=forms.CheckboxSelectMultiple,
    ),
    "unless_trial_booked": lambda: forms.BooleanField(label="Unless a trial is booked"),
    "unless_joined": lambda: forms.BooleanField(label="Unless they joined"),
    "due_minutes": lambda: _whole_field("due_minutes", "Due within minutes"),
    "assign": lambda: forms.ChoiceField(
        label="Assign to",
        choices=[("", "The front desk"), ("trainer", "The trainer of their last class")],
    ),
    "escalate_when_late": lambda: forms.BooleanField(label="Escalate when late"),
}

PARAMETER_PREFIX = "param_"


def read_parameters(kind: str, channel: str | None) -> tuple[triggers.Parameter, ...]:
    """The parameters a rule of this trigger kind on this channel reads, in the editor's order."""
    kind_params = triggers.REGISTRY[kind].params if kind in triggers.REGISTRY else ()
    return kind_params + (TASK_PARAMETERS if channel == Channel.TASK else MESSAGE_PARAMETERS)


def _not_read(key: str, kind: str, channel: str | None) -> str:
    """Why a rule of this kind and channel does not read `key`, in words."""
    if key in {p.name for p in TASK_PARAMETERS}:
        return f'"{key}" is for staff-task rules only.'
    if key in {p.name for p in MESSAGE_PARAMETERS}:
        return f'"{key}" is for messages only: staff tasks are not moved out of quiet hours.'
    readers = [k.label for k in triggers.REGISTRY.values() if key in {p.name for p in k.params}]
    if len(readers) == 1:
        return f'"{key}" is only for the "{readers[0]}" trigger.'
    known = ", ".join(p.name for p in read_parameters(kind, channel))
    if readers:
        return f'"{key}" is not a parameter of this trigger (known: {known}).'
    return f'"{key}" is not a parameter (known: {known}).'


def _problems(kind: str, params: dict, channel: str | None) -> list[tuple[str, str]]:
    """(parameter, what is wrong with it) for `params`, a rule's of this kind and channel."""
    read = {p.name for p in read_parameters(kind, channel)}
    problems = []
    for key, value in params.items():
        if key not in read:
            problems.append((key, _not_read(key, kind, channel)))
        elif expected := PARAMETERS[key](value):
            problems.append((key, f'"{key}" must be {expected}.'))
    if not problems:
        try:
            triggers.get(kind).describe(params)
        except KeyError as missing:
            label = triggers.get(kind).label
            problems.append((missing.args[0], f"{label} needs the parameter {missing}."))
    return problems


def parameter_problems(kind: str, params: dict, channel: str | None = None) -> list[str]:
    """What is wrong with `params` for the trigger kind (and the channel, whose own
    parameters staff tasks have), in words; empty when nothing is."""
    return [problem for _, problem in _problems(kind, params, channel)]


NOT_AN_OBJECT = 'Give a JSON object such as {"days": 7}, not a list or value.'


def _stored(value):
    """A cleaned field's value as params store it; None for blank (the default)."""
    if value is None or value is False or value == "" or value == []:
        return None
    return f"{value:%H:%M}" if isinstance(value, dt.time) else value


class ParameterFields:
    """For a form: one field per parameter its rule reads (named param_<name>), and
    `params` assembled from them once cleaned (None until then, or when they are wrong).

    Stored parameters the rule does not read are neither shown as fields nor dropped: they
    are kept in an "Other parameters" JSON box, whose save is refused until they are fixed
    or removed. The box appears only when it holds something."""

    params: dict | None = None

    def add_parameter_fields(self, kind: str, channel: str | None, values: dict) -> None:
        self.kind, self.channel = kind, channel
        read = read_parameters(kind, channel)
        label = triggers.REGISTRY[kind].label if kind in triggers.REGISTRY else kind
        for parameter in read:
            field = PARAMETER_FIELDS[parameter.name]()
            field.help_text, field.required = parameter.help_text, parameter.required
            field.error_messages["required"] = f"{label} needs this."
            field.initial = values.get(parameter.name)
            self.fields[PARAMETER_PREFIX + parameter.name] = field
        other = {key: value for key, value in values.items() if key not in {p.name for p in read}}
        # Bound, the box is what was posted: emptied, it is gone.
        if self.data.get("params", "").strip() if self.is_bound else other:
            self.fields["params"] = forms.JSONField(
                label="Other parameters",
                required=False,
                initial=other,
                widget=forms.Textarea(attrs={"rows": 2}),
                error_messages={"invalid": 'Not valid JSON: give an object such as {"days": 7}.'},
                help_text="Parameters this rule does not read: fix them or remove them.",
            )

    def parameter_fields(self) -> list:
        return [field for field in self if self.is_parameter(field.name)]

    @staticmethod
    def is_parameter(name: str) -> bool:
        return name.startswith(PARAMETER_PREFIX) or name == "params"

    def clean_params(self):
        other = self.cleaned_data["params"]
        if other is None:
            return {}
        if not isinstance(other, dict):
            raise forms.ValidationError(NOT_AN_OBJECT)
        return other

    def clean_parameters(self) -> None:
        """Assembles `params` from the cleaned fields and checks them as a whole (after the
        fields' own checks), each problem under its parameter's field."""
        names = [name for name in self.fields if self.is_parameter(name)]
        if any(name in self.errors for name in names) or self.kind not in triggers.REGISTRY:
            return
        params = dict(self.cleaned_data.get("params") or {})
        for name in names:
            if name != "params" and (value := _stored(self.cleaned_data[name])) is not None:
                key = name.removeprefix(PARAMETER_PREFIX)
                if key in params:
                    self.add_error("params", f'"{key}" has its own field: set it there.')
                params[key] = value
        problems = _problems(self.kind, params, self.channel)
        for key, problem in problems:
            field = PARAMETER_PREFIX + key
            self.add_error(field if field in self.fields else "params", problem)
        if not problems and not self.has_error("params"):
            self.params = params


class ParametersForm(ParameterFields, forms.Form):
    """The rule editor's parameter fields alone, as typed (htmx asks with them)."""

    def __init__(self, data=None, *, kind: str, channel: str | None, values: dict | None = None):
        super().__init__(data)
        self.add_parameter_fields(kind, channel, values or {})

    def clean(self):
        data = super().clean()
        self.clean_parameters()
        return data

    def as_data(self) -> dict:
        """What posting the form as shown would send."""
        return {field.html_name: field.value() for field in self.parameter_fields()}

    def problems(self) -> list[str]:
        """The form's errors in words, each after its field's label."""
        return [
            f"{self.fields[name].label}: {error}"
            for name, errors in self.errors.items()
            for error in errors
        ]


def timing(kind: str, params: dict, channel: str | None = None) -> tuple[str, list[str]]:
    """The trigger and its parameters in words, as the evaluator explains a touchpoint (the
    trigger kind's own `describe`), or what stops that in words: (words, problems), one of
    them empty."""
    if kind not in triggers.REGISTRY:
        return "", [f"{kind!r} is not a trigger kind." if kind else "Choose a trigger."]
    if problems := parameter_problems(kind, params, channel):
        return "", problems
    return triggers.get(kind).describe(params), []


def typed_timing(kind: str, data, channel: str | None) -> tuple[str, list[str]]:
    """timing() of the editor's unsaved parameter fields (`data`, as posted)."""
    if kind not in triggers.REGISTRY:
        return timing(kind, {}, channel)
    form = ParametersForm(data, kind=kind, channel=channel)
    if not form.is_valid():
        return "", form.problems()
    return timing(kind, form.params, channel)


def typed_values(kind: str, channel: str | None, data) -> dict:
    """The parameter values typed in the editor (`data`) that a rule of this kind and
    channel still reads, as its fields take them: the fields for another trigger or channel
    keep what applies. The Other parameters box's keys go to a field that now reads them."""
    try:
        other = json.loads(data.get("params") or "{}")
    except ValueError:
        other = {}  # a box that is not JSON yet: the save says so; nothing to keep here
    values = other if isinstance(other, dict) else {}
    for name, field in ParametersForm(kind=kind, channel=channel).fields.items():
        value = field.widget.value_from_datadict(data, {}, name)
        if name != "params" and value is not False and value not in (None, "", []):
            values[name.removeprefix(PARAMETER_PREFIX)] = value
    return values


def carried_values(kind: str, channel: str | None, data) -> list[tuple[str, str]]:
    """The editor's typed parameter values (`data`) that a rule of this kind and channel does
    not read, as (input name, value) pairs: the editor keeps them in hidden inputs, so switching
    to another trigger and back brings back what was typed. A save ignores them."""
    shown = set(ParametersForm(kind=kind, channel=channel).fields)
    return [
        (name, value)
        for name in sorted(data)
        if name.startswith(PARAMETER_PREFIX) and name not in shown
        for value in data.getlist(name)
        if value != ""
    ]


def template_problem(text: str) -> str:
    """A template error in words, or "": compiled with the evaluator's own engine, and
    rendered (an include fails only then) with every name it reads given as "" — a variable
    filter argument (`default:last_name`) raises when missing, and a filter that fails on an
    empty value (`{{ visits|divisibleby:2 }}`) would fail a member's message at send time.
    field_problem judges names."""
    if unclosed := _unclosed_tag(text):
        return f"Template error: “{unclosed}” is not closed, so it would be sent as it stands."
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


_TAG = re.compile(r"\{[{%#]")
_CLOSING = {"{{": "}}", "{%": "%}", "{#": "#}"}


def _unclosed_tag(text: str) -> str:
    """The start of the first "{{", "{%" or "{#" with no closing mark after it on its line,
    or "". Django's lexer reads such a tag as plain text, so "Hi {{ first_name" would go out
    to members as written."""
    for line in text.splitlines():
        for match in _TAG.finditer(line):
            if _CLOSING[match[0]] not in line[match.end() :]:
                return line[match.start() : match.start() + 20]
    return ""


def field_problem(text: str, kind: str) -> str:
    """The names `text` reads that a rule with this trigger kind does not give, in words, or
    "": a misspelled field would otherwise be sent as an empty string."""
    return fields_problem(text, evaluator.template_fields(kind))


def fields_problem(text: str, available: tuple[str, ...], *, what: str = "this rule") -> str:
    """The names `text` reads that are not among `available`, in words, or ""."""
    unknown = [name for name in evaluator.names_read(text) if name not in available]
    if not unknown:
        return ""
    names = ", ".join(f'"{name}"' for name in unknown)
    verb = "is not a field" if len(unknown) == 1 else "are not fields"
    return f"{names} {verb} {what} can use (available: {', '.join(available)})."


EMPTY_MESSAGE = (
    "Every member would get an empty message: there is no text or {{ field }} outside "
    "comments and tags. Write the message."
)


def body_problem(text: str, channel: str | None) -> str:
    """What is wrong with a message's body (of a template that compiles) for everyone, in
    words, or "": nothing in it ever prints (a comment only: a blank SMS or email, a staff task
    without a title), or, for an SMS, it is longer than Twilio takes as written. Fields and
    {% if %} make a member's text longer or shorter: the dispatcher checks each one
    (evaluator.body_refusal)."""
    if not evaluator.may_say_something(text):
        return EMPTY_MESSAGE
    if channel == Channel.SMS and len(text) > sms.MAX_LENGTH:
        return (
            f"An SMS can be at most {sms.MAX_LENGTH:,} characters long (Twilio refuses longer "
            f"ones); this one is {len(text):,}. Shorten it, or send it by email."
        )
    return ""


def text_problems(kind: str, channel: str | None, *, subject: str, template: str) -> dict[str, str]:
    """What saving says about a rule's texts, by field ("subject", "template"): a template
    error, else the names a rule of this trigger kind does not give (in a subject only when
    it is sent: with an email), else a body that is empty for everyone or too long for an SMS
    (body_problem). The editor's preview shows the same, from here."""
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
        if not problem and name == "template":
            problem = body_problem(text, channel)
        if problem:
            problems[name] = problem
    return problems


# The editor's parameter fields follow the trigger and channel chosen: htmx asks from the
# selects, which stay on the page. (Asked from the fields' own box, a change made while a
# new box was being swapped in found no listener and was lost.) The last choice wins.
PARAMETERS_SWITCH = {
    "hx-get": reverse_lazy("playbook:rule_parameters"),
    "hx-target": "#rule-parameters",
    "hx-swap": "outerHTML",
    "hx-sync": "closest form:replace",
    "hx-include": "#id_trigger, #id_channel, #rule-parameters [name^=param_], "
    "#rule-parameters [name=params]",
}


class RuleForm(ParameterFields, forms.ModelForm):
    trigger = forms.ChoiceField(
        label="Trigger", help_text="What makes the rule fire; its timing is set below."
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
        initial=Rule._meta.get_field("holdout_percent").default,
        help_text="Share of members held out as a control group, never sent.",
    )

    class Meta:
        model = Rule
        fields = [
            "number",
            "name",
            "trigger",
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
        self.rights = RuleRights(user)
        # Rule 0 is no rule ("rule 1" is the first), refused as -1 is, in one error.
        bounds_as_the_model(self)
        self.fields["trigger"].choices = [
            (kind.name, kind.label) for kind in triggers.REGISTRY.values()
        ]
        if self.instance.trigger and self.instance.trigger not in triggers.REGISTRY:
            # Keep an unknown stored kind visible, so the error below can name it.
            self.fields["trigger"].choices.append((self.instance.trigger, self.instance.trigger))
        self.fields["clubs"].queryset = scope(Club.objects.order_by("name"), user)
        for name in ("trigger", "channel"):
            self.fields[name].widget.attrs.update(PARAMETERS_SWITCH)
        if not self.instance.pk:
            # A new rule takes the next number unless marketing chooses another.
            last = Rule.objects.aggregate(last=Max("number"))["last"]
            self.initial.setdefault("number", (last or 0) + 1)
        if self.instance.pk:
            # Staff and analytics refer to "rule 15": the number stays what it was.
            self.fields["number"].disabled = True
            self.fields["number"].help_text = "How staff refer to the rule; it does not change."
        # The parameter fields of the trigger and channel as posted, else as saved.
        source = self.data if self.is_bound else self.initial
        kind = source.get("trigger") or self.fields["trigger"].choices[0][0]
        self.add_parameter_fields(kind, source.get("channel"), self.instance.params or {})

    def rule_fields(self) -> list:
        return [field for field in self if not self.is_parameter(field.name)]

    def clean_trigger(self):
        kind = self.cleaned_data["trigger"]
        if kind not in triggers.REGISTRY:
            raise forms.ValidationError(f"{kind!r} is not a trigger kind.")
        return kind

    def clean_clubs(self):
        # The field offers only the editor's clubs; none ticked would make the rule apply
        # at every club, also where the editor does not work (access.RuleRights).
        chosen = list(self.cleaned_data["clubs"])
        if not chosen and not self.rights.works_everywhere:
            raise forms.ValidationError(
                "Tick at least one of your clubs: with none ticked the rule applies at every "
                "club, and only staff of every club may add or change such a rule."
            )
        return chosen

    def make_view_only(self) -> None:
        """For a rule the user may not change: every field shown as saved, none editable,
        the clubs it applies at all shown."""
        self.fields["clubs"].queryset = Club.objects.order_by("name")
        for field in self.fields.values():
            field.disabled = True

    def clean(self):
        data = super().clean()
        kind = data.get("trigger")
        self.clean_parameters()
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

    def save(self, commit=True):
        self.instance.params = self.params
        return super().save(commit)
