"""The forms of segments and campaigns: criteria ticked and typed, never a query; a
campaign's texts checked as a rule's are (forms.template_problem, the base fields only)."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.db import transaction
from django.db.models import QuerySet

from campaigns import evaluator
from campaigns.backoffice.access import RuleRights
from campaigns.backoffice.forms import body_problem, fields_problem, template_problem
from campaigns.models import Campaign, CampaignVariant, Channel, Segment
from club import clock
from club.admin_access import scope
from club.forms import DayField, TimeOfDayField
from club.models import Club
from members.models import Member
from memberships.models import Plan

# Longer than any membership or absence marketing would aim at: a typo, not a choice.
MAX_DAYS = 3650
# More than half held out would leave the campaign mostly unsent.
MAX_HOLDOUT = 50
# How far ahead a campaign's first day may be: further is a typo ("2099"), not a plan.
PLANNED_AHEAD = dt.timedelta(days=366)


def _days(label: str, help_text: str) -> forms.IntegerField:
    return forms.IntegerField(
        label=label, required=False, min_value=0, max_value=MAX_DAYS, help_text=help_text
    )


class SegmentForm(forms.ModelForm):
    clubs = forms.ModelMultipleChoiceField(
        queryset=Club.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        help_text="Members whose home club is one of these.",
    )
    stages = forms.MultipleChoiceField(
        choices=Member.Stage.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Only members in these lifecycle stages (none ticked: any).",
    )
    statuses = forms.MultipleChoiceField(
        choices=Member.Status.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Only members with these statuses (none ticked: any).",
    )
    plan_kinds = forms.MultipleChoiceField(
        label="Plan kinds held",
        choices=Plan.Kind.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Only members holding a membership in force of one of these kinds today.",
    )
    min_days_since_visit = _days(
        "Days since the last visit: at least",
        "No visit in the last N days (members who never visited count).",
    )
    max_days_since_visit = _days(
        "Days since the last visit: at most", "A visit within the last N days."
    )
    ends_within_days = _days(
        "Membership ends within (days)",
        "A paid membership, not renewed, ending between today and N days from today.",
    )
    consent = forms.ChoiceField(
        label="Consent",
        choices=[("", "Any"), *Segment.Consent.choices],
        required=False,
        help_text="Only members who agreed to messages on this channel and have an address.",
    )

    class Meta:
        model = Segment
        fields = [
            "name",
            "clubs",
            "stages",
            "statuses",
            "plan_kinds",
            "min_days_since_visit",
            "max_days_since_visit",
            "ends_within_days",
            "consent",
        ]

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["clubs"].queryset = scope(Club.objects.order_by("name"), user)

    def make_view_only(self) -> None:
        self.fields["clubs"].queryset = Club.objects.order_by("name")
        for field in self.fields.values():
            field.disabled = True

    def clean(self):
        data = super().clean()
        at_least, at_most = data.get("min_days_since_visit"), data.get("max_days_since_visit")
        if at_least is not None and at_most is not None and at_least > at_most:
            self.add_error(
                "max_days_since_visit",
                f"No member can be away at least {at_least} days and at most {at_most}: "
                "make “at most” the larger number.",
            )
        return data


def changeable_segments(user) -> QuerySet[Segment]:
    """The segments the user may send a campaign to: every club they cover is theirs."""
    rights = RuleRights(user)
    elsewhere = [club.pk for club in rights.outside(rights.every)]
    return Segment.objects.exclude(clubs__in=elsewhere).filter(clubs__isnull=False).distinct()


class CampaignForm(forms.ModelForm):
    send_on = DayField(
        label="Day",
        help_text="The day it goes (first goes, if it repeats), at each club.",
        error_messages={
            "required": "Choose the day it goes: a weekly campaign repeats on its weekday, "
            "a monthly one on its day of the month."
        },
    )
    send_time = TimeOfDayField(
        label="Time",
        initial=dt.time(10, 0),
        help_text="In each club's own time; not in the quiet hours.",
    )
    repeat = forms.ChoiceField(
        label="Repeat",
        choices=Campaign.Repeat.choices,
        initial=Campaign.Repeat.ONCE,
        help_text="Each run goes to the segment's members as they are on its day.",
    )
    repeat_until = DayField(
        label="Until",
        required=False,
        help_text="The last day a run may go, if it repeats (empty: until stopped).",
    )
    holdout_percent = forms.IntegerField(
        label="Holdout %",
        min_value=0,
        max_value=MAX_HOLDOUT,
        initial=Campaign._meta.get_field("holdout_percent").default,
        help_text="Share of members held out as a control group, never sent: the results "
        f"compare their renewals with those sent (at most {MAX_HOLDOUT} %).",
    )

    class Meta:
        model = Campaign
        fields = [
            "name",
            "segment",
            "channel",
            "send_on",
            "send_time",
            "repeat",
            "repeat_until",
            "holdout_percent",
        ]

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["segment"].queryset = changeable_segments(user).prefetch_related("clubs")
        saved = {v.label: v for v in self.instance.variants.all()} if self.instance.pk else {}
        for label in CampaignVariant.LABELS:
            variant = saved.get(label)
            self.fields[f"subject_{label}"] = forms.CharField(
                label=f"Variant {label}: subject",
                max_length=200,
                required=False,
                initial=variant.subject if variant else "",
                help_text="Email only.",
            )
            self.fields[f"template_{label}"] = forms.CharField(
                label=f"Variant {label}: message",
                required=label == "A",
                initial=variant.template if variant else "",
                widget=forms.Textarea(attrs={"rows": 5}),
                help_text=(
                    f"May use {', '.join('{{ ' + name + ' }}' for name in evaluator.BASE_FIELDS)}."
                    if label == "A"
                    else "Leave empty for fewer variants."
                ),
            )

    def variant_fields(self):
        return [
            self[f"{part}_{label}"]
            for label in CampaignVariant.LABELS
            for part in ("subject", "template")
        ]

    def main_fields(self):
        return [self[name] for name in self.Meta.fields]

    def make_view_only(self) -> None:
        self.fields["segment"].queryset = Segment.objects.all()
        for field in self.fields.values():
            field.disabled = True

    def clean(self):
        data = super().clean()
        self._clean_send_time(data)
        self._clean_repeat(data)
        self._clean_variants(data)
        return data

    def _clean_repeat(self, data) -> None:
        repeat, first, until = data.get("repeat"), data.get("send_on"), data.get("repeat_until")
        if not until or not repeat:
            return
        if repeat == Campaign.Repeat.ONCE:
            self.add_error(
                "repeat_until", "Only a repeating campaign has a last day: choose how often."
            )
        elif first and until < first:
            self.add_error(
                "repeat_until",
                f"{until:%-d %b %Y} is before the first day, {first:%-d %b %Y}: "
                "choose a later last day.",
            )
        elif first:
            runs = Campaign(send_on=first, repeat=repeat, repeat_until=until)
            if runs.run_after(first) is None:
                self.add_error(
                    "repeat_until",
                    f"Only one run goes before {until:%-d %b %Y}: send it once, or choose a "
                    "later last day.",
                )

    def _clean_send_time(self, data) -> None:
        segment, day, time = data.get("segment"), data.get("send_on"), data.get("send_time")
        if not (segment and day and time):
            return
        now = clock.now()
        if day > now.date() + PLANNED_AHEAD:
            # 2099 for 2026 is a slip of the keyboard, and the campaign would sit unseen.
            self.add_error(
                "send_on",
                f"{day:%-d %b %Y} is more than a year away: a campaign is planned up to "
                f"{(now.date() + PLANNED_AHEAD):%-d %b %Y}.",
            )
            return
        for club in segment.clubs.all():
            local = clock.local_datetime(day, time, club)
            if local <= now:
                self.add_error(
                    "send_on",
                    f"{local:%-d %b %Y, %H:%M} has passed at {club.name}: choose a later day "
                    "or time.",
                )
                return
            if club.in_quiet_hours(time):
                self.add_error(
                    "send_time",
                    f"{time:%H:%M} is in {club.name}'s quiet hours "
                    f"({club.quiet_hours_start:%H:%M}–{club.quiet_hours_end:%H:%M}): members "
                    "are not messaged then.",
                )
                return

    def _clean_variants(self, data) -> None:
        channel = data.get("channel")
        texts = {
            label: (data.get(f"subject_{label}", ""), data.get(f"template_{label}", ""))
            for label in self.variant_labels(data)
        }
        missing = [label for label in CampaignVariant.LABELS if label not in texts]
        if missing and texts and max(texts) > min(missing):
            self.add_error(
                f"template_{max(texts)}",
                f"Fill in variant {min(missing)} first: variants go A, B, C.",
            )
        for label, (subject, template) in texts.items():
            if channel == Channel.EMAIL and not subject:
                self.add_error(f"subject_{label}", "An email needs a subject.")
            if channel == Channel.SMS and subject:
                # Kept silently it would be lost at send time; the writer may mean email.
                self.add_error(
                    f"subject_{label}", "An SMS has no subject: clear it, or send by email."
                )
            if subject and (problem := text_problem(subject)):
                self.add_error(f"subject_{label}", problem)
            # As a rule's body (forms.text_problems): empty for everyone, too long for an SMS.
            if problem := text_problem(template) or body_problem(template, channel):
                self.add_error(f"template_{label}", problem)

    @staticmethod
    def variant_labels(data) -> list[str]:
        return [label for label in CampaignVariant.LABELS if data.get(f"template_{label}", "")]

    @transaction.atomic
    def save(self, commit=True):
        campaign = super().save()
        labels = self.variant_labels(self.cleaned_data)
        campaign.variants.exclude(label__in=labels).delete()
        for label in labels:
            subject = self.cleaned_data[f"subject_{label}"]
            CampaignVariant.objects.update_or_create(
                campaign=campaign,
                label=label,
                defaults={
                    "subject": subject if campaign.channel == Channel.EMAIL else "",
                    "template": self.cleaned_data[f"template_{label}"],
                },
            )
        return campaign


def text_problem(text: str) -> str:
    """As a rule's text is checked (forms.text_problems): a template error, else a name
    that a campaign does not give. A campaign has no trigger: only the base fields."""
    return template_problem(text) or fields_problem(text, evaluator.BASE_FIELDS, what="a campaign")
