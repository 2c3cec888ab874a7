import datetime as dt

from django import forms
from django.db.models import Case, Q, Value, When
from django.urls import reverse
from django.utils.html import format_html
from phonenumber_field.formfields import PhoneNumberField

from checkin.models import ClassSession
from club import clock
from club.display import format_price
from club.forms import phone_field_for
from members import leads, search
from members.consent import sms_consent_problem
from members.models import EMAIL_MAX_LENGTH, Member
from members.staff_tasks import CallOutcome
from memberships import freezes, sales
from memberships.models import Freeze, Payment, Plan, label_plan_choices

DESK_PAYMENT_METHODS = [
    (Payment.Method.CARD_TERMINAL.value, Payment.Method.CARD_TERMINAL.label),
    (Payment.Method.CASH.value, Payment.Method.CASH.label),
]

SMS_CONSENT_WORDING = "Yes, {club} may text me about my membership, classes and offers."
EMAIL_CONSENT_WORDING = "Yes, {club} may email me about my membership, classes and offers."


def plans_for(member: Member, *, keeping: Plan | None = None):
    """Plans on sale to this member: their club's own (sales.sell's rule). Another club's
    chain-wide plan is valid here but sold by that club, at its manager's price; it was on
    every club's list. A renewal may keep the plan it renews (`keeping`), whoever's it is."""
    own = Q(club=member.home_club)
    if keeping is not None:
        own |= Q(pk=keeping.pk)
    return Plan.objects.filter(own, is_active=True)


def several_clubs(plans) -> bool:
    """Whether a list of plans holds two clubs' plans, which must then say whose each is."""
    return plans.order_by().values("club").distinct().count() > 1


# How a desk payment method reads after "take €49.00": the button names what it records.
TAKEN = {
    Payment.Method.CARD_TERMINAL.value: "by card terminal",
    Payment.Method.CASH.value: "in cash",
}


class TaggedSelect(forms.Select):
    """A dropdown whose options carry data attributes (`tag(value)`), for a script that says
    what the chosen one means (desk_forms.js)."""

    def __init__(self, *args, tag, **kwargs):
        super().__init__(*args, **kwargs)
        self.tag = tag

    def create_option(self, name, value, *args, **kwargs):
        option = super().create_option(name, value, *args, **kwargs)
        option["attrs"].update(self.tag(value))
        return option


class ChargingForm(forms.Form):
    """A sale: a plan and the way it is paid, recorded at once. Its button says what it takes
    ("Renew · take €120.00 by card terminal"): defaults submitted untouched record a payment.
    The options carry their price and wording, so a script keeps the button in step."""

    def _priced(self, member: Member) -> None:
        # Payment.currency is the member's club's (sales.sell), whoever's plan it is.
        self.currency = member.home_club.currency

        def price(value) -> dict:
            plan = getattr(value, "instance", None)
            return {} if plan is None else {"data-price": format_price(plan.price, self.currency)}

        plan = self.fields["plan"]
        plan.widget = TaggedSelect(tag=price, choices=plan.choices)
        method = self.fields["method"]
        method.widget = TaggedSelect(
            tag=lambda value: {"data-taken": TAKEN.get(value, "")}, choices=method.choices
        )

    def submit_label(self, verb: str) -> str:
        """`verb`, and what submitting the form as it stands takes: the chosen (or preselected)
        plan's price and the payment method. `verb` alone while no plan is chosen."""
        try:
            plan = self.fields["plan"].clean(self["plan"].value())
        except forms.ValidationError:
            return verb
        taken = TAKEN.get(self["method"].value(), TAKEN[DESK_PAYMENT_METHODS[0][0]])
        return f"{verb} · take {format_price(plan.price, self.currency)} {taken}"


class SellForm(ChargingForm):
    # A blank first choice, as the call log's: with a plan preselected (the cheapest, which is
    # the free trial) "Sell" on its own sold whatever came first. Staff say which.
    plan = forms.ModelChoiceField(
        queryset=Plan.objects.none(),
        empty_label="Choose a plan",
        error_messages={"required": "Choose the plan to sell."},
    )
    start = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    method = forms.ChoiceField(label="Payment", choices=DESK_PAYMENT_METHODS)

    def __init__(self, *args, member: Member, with_club: bool, **kwargs):
        super().__init__(*args, **kwargs)
        plans = plans_for(member)
        # A trial only for someone who may still take one (the rule sales.sell applies), and
        # listed after the paid plans: it is the cheapest, and was the first on the list.
        if sales.first_membership(member) is not None:
            plans = plans.exclude(kind=Plan.Kind.TRIAL)
        trial_last = Case(When(kind=Plan.Kind.TRIAL, then=Value(1)), default=Value(0))
        self.fields["plan"].queryset = plans.order_by(trial_last, "club__name", "price", "pk")
        label_plan_choices(self.fields["plan"], with_club=with_club or several_clubs(plans))
        self._priced(member)
        today = clock.today(member.home_club)
        self.fields["start"].initial = today
        # The browser's date picker spans the days sales.sell accepts.
        self.fields["start"].widget.attrs["min"] = today.isoformat()
        latest = sales.latest_start(member, today=today)
        self.fields["start"].widget.attrs["max"] = latest.isoformat()


class RenewForm(ChargingForm):
    plan = forms.ModelChoiceField(queryset=Plan.objects.none(), empty_label=None)
    method = forms.ChoiceField(label="Payment", choices=DESK_PAYMENT_METHODS)

    def __init__(self, *args, member: Member, current_plan: Plan, with_club: bool, **kwargs):
        super().__init__(*args, **kwargs)
        plans = plans_for(member, keeping=current_plan).exclude(kind=Plan.Kind.TRIAL)
        self.fields["plan"].queryset = plans.order_by("club__name", "price", "pk")
        label_plan_choices(self.fields["plan"], with_club=with_club or several_clubs(plans))
        self._priced(member)
        self.fields["plan"].initial = current_plan.pk


class CheckInOfferForm(forms.Form):
    """The desk's ?renewed=<membership id> (a renewal sold from a denied check-in),
    ?unfrozen=<timeline event id> (a freeze ended from one, its `membership_unfrozen`) or
    ?paid=<payment id> (an unpaid membership paid from one), whose member the desk offers to
    check in now. One of the three."""

    # PostgreSQL bigints.
    renewed = forms.IntegerField(min_value=1, max_value=2**63 - 1, required=False)
    unfrozen = forms.IntegerField(min_value=1, max_value=2**63 - 1, required=False)
    paid = forms.IntegerField(min_value=1, max_value=2**63 - 1, required=False)

    def clean(self):
        data = super().clean()
        if [data.get(key) is None for key in ("renewed", "unfrozen", "paid")].count(False) != 1:
            raise forms.ValidationError("A renewal, an ended freeze or a payment: one of them.")
        return data


class TakePaymentForm(forms.Form):
    """Paying an unpaid membership at the desk: the amount is what is due (memberships.dues),
    only the way it is paid is chosen."""

    method = forms.ChoiceField(label="Payment", choices=DESK_PAYMENT_METHODS)


class AutoRenewForm(forms.Form):
    """The member card's switch of a membership's automatic renewal: "on" or "off"."""

    auto_renew = forms.ChoiceField(choices=[("on", "On"), ("off", "Off")])


class FreezeForm(forms.Form):
    start = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label="Last frozen day", widget=forms.DateInput(attrs={"type": "date"}))
    reason = forms.CharField(max_length=200, required=False)

    def __init__(self, *args, today: dt.date, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today
        self.fields["start"].initial = today
        # The browser's date picker starts where freezes.freeze does.
        for field in ("start", "end"):
            self.fields[field].widget.attrs["min"] = today.isoformat()

    def clean_start(self):
        start = self.cleaned_data["start"]
        if (past := freezes.past_start_error(start, today=self.today)) is not None:
            raise forms.ValidationError(past)
        return start


class UnfreezeForm(forms.Form):
    """End a running freeze early. One still to come is cancelled instead (CancelFreezeForm);
    one that is over can be neither."""

    on = forms.DateField(label="Back from", widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, frozen: Freeze, today: dt.date, **kwargs):
        super().__init__(*args, **kwargs)
        self.frozen = frozen
        self.today = today

    def clean(self):
        if self.frozen.end < self.today:
            raise forms.ValidationError("This freeze is over: it can no longer be ended early.")
        if self.frozen.start > self.today:
            raise forms.ValidationError("This freeze has not started yet: cancel it instead.")
        return super().clean()


class CancelFreezeForm(forms.Form):
    """Nothing to fill in: the button confirms. memberships.freezes.cancel() checks the dates."""


class EraseForm(forms.Form):
    reason = forms.CharField(
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Why, for the record: e.g. “Asked by email on 3 Dec”. Not their name or "
        "contact details: those are what is being erased.",
    )


class BookClassForm(forms.Form):
    """Which class to book the member into: one of `sessions` (the staff member's clubs')."""

    session = forms.ModelChoiceField(queryset=ClassSession.objects.none())

    def __init__(self, *args, sessions, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["session"].queryset = sessions.select_related("class_type", "club")


class OverrideForm(forms.Form):
    reason = forms.CharField(max_length=200, label="Why admit anyway?")


class CardForm(forms.Form):
    card = forms.CharField(
        max_length=64,
        label="Access card",
        error_messages={"required": "Scan the card, or type the number printed on it."},
    )

    def clean_card(self) -> str:
        # "- -" is no card: the token is what is left without separators (search.card_token).
        card = self.cleaned_data["card"]
        if not search.card_token(card):
            raise forms.ValidationError(self.fields["card"].error_messages["required"])
        return card


class NoteForm(forms.Form):
    text = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        error_messages={"required": "A note needs some text."},
    )


class CallForm(forms.Form):
    # A blank first choice: with "Reached" preselected, "Log call" on its own logged a call
    # that reached the member (and closed their tasks) when nobody had said so.
    outcome = forms.ChoiceField(
        choices=[("", "Choose the outcome"), *CallOutcome.choices],
        error_messages={"required": "Choose how the call went."},
    )
    text = forms.CharField(
        label="What was said",
        required=False,
        max_length=2000,
        widget=forms.TextInput(attrs={"placeholder": "What was said (optional)"}),
    )


class WalkInLeadForm(forms.Form):
    first_name = forms.CharField(max_length=80)
    last_name = forms.CharField(max_length=80, required=False)
    phone = PhoneNumberField(required=False)
    email = forms.EmailField(required=False, max_length=EMAIL_MAX_LENGTH)
    sms_consent = forms.BooleanField(required=False)
    email_consent = forms.BooleanField(required=False)

    def __init__(self, *args, club, **kwargs):
        super().__init__(*args, **kwargs)
        self.club = club
        self.fields["phone"] = phone_field_for(club, self.fields["phone"])
        self.fields["sms_consent"].label = SMS_CONSENT_WORDING.format(club=club.name)
        self.fields["email_consent"].label = EMAIL_CONSENT_WORDING.format(club=club.name)

    def clean(self):
        data = super().clean()
        if not self.errors:
            leads.require_contact(email=data.get("email", ""), phone=str(data.get("phone") or ""))
        if data.get("sms_consent") and (problem := sms_consent_problem(data.get("phone"))):
            self.add_error("sms_consent", problem)
        if data.get("email_consent") and not data.get("email"):
            self.add_error("email_consent", "Email consent needs an email address.")
        if not self.errors and (
            elsewhere := leads.known_elsewhere(
                self.club,
                first_name=data["first_name"],
                last_name=data.get("last_name", ""),
                email=data.get("email", ""),
                phone=str(data.get("phone") or ""),
            )
        ):
            raise forms.ValidationError(elsewhere.message(self.club))
        if not self.errors and (
            owner := leads.email_of_another(
                self.club,
                first_name=data["first_name"],
                last_name=data.get("last_name", ""),
                email=data.get("email", ""),
            )
        ):
            # Not the same person: nothing is written, and the desk sees whose it is.
            self.add_error(
                "email",
                format_html(
                    'This email belongs to another member: {} — check it, or <a href="{}">'
                    "open their card</a>.",
                    leads.short_name(owner),
                    reverse("desk:member", args=[owner.pk]),
                ),
            )
        return data

    def consent_wording(self) -> str:
        given = []
        if self.cleaned_data.get("sms_consent"):
            given.append(SMS_CONSENT_WORDING.format(club=self.club.name))
        if self.cleaned_data.get("email_consent"):
            given.append(EMAIL_CONSENT_WORDING.format(club=self.club.name))
        return " ".join(given)
