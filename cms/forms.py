"""The free-trial sign-up form of the public site."""

from __future__ import annotations

import phonenumbers
from django import forms
from phonenumber_field.formfields import PhoneNumberField

from checkin.models import ClassSession
from club import clock
from club.forms import phone_field_for
from club.models import Club
from cms.trials import ConsentWordings
from members.consent import sms_consent_problem
from members.models import Member


def stored_length(name: str) -> int:
    """The longest `name` a Member holds: the form refuses more (a field error, and maxlength
    in the HTML) rather than have it cut short or fail on saving."""
    return Member._meta.get_field(name).max_length


def mobile_example(region: str) -> str:
    """An example mobile number of the region as people write it there ("06 12345678")."""
    example = phonenumbers.example_number_for_type(region, phonenumbers.PhoneNumberType.MOBILE)
    if example is None:
        return "+31 6 12345678"
    return phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.NATIONAL)


# A field people never see (hidden by CSS): only bots fill it in. Named so that browsers'
# autofill leaves it alone.
HONEYPOT = "leave_this_empty"


class TrialSignupForm(forms.Form):
    session = forms.TypedChoiceField(
        label="Your free class",
        coerce=int,
        empty_value=None,
        error_messages={
            "required": "Pick the class you would like to try.",
            "invalid_choice": "That class is full or no longer open for a trial. "
            "Please pick another time.",
        },
    )
    first_name = forms.CharField(
        label="First name",
        max_length=stored_length("first_name"),
        widget=forms.TextInput(attrs={"autocomplete": "given-name"}),
        error_messages={"required": "Tell us your first name."},
    )
    last_name = forms.CharField(
        label="Last name",
        max_length=stored_length("last_name"),
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "family-name"}),
    )
    phone = PhoneNumberField(
        label="Mobile number",
        max_length=stored_length("phone"),
        help_text="We call you within 15 minutes, during opening hours, to say hello.",
        error_messages={"required": "We need your number to confirm your class."},
    )
    email = forms.EmailField(
        label="Email",
        max_length=stored_length("email"),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
        error_messages={
            "required": "We need your email: it is how you sign in to manage your classes."
        },
    )
    sms_consent = forms.BooleanField(required=False)
    email_consent = forms.BooleanField(required=False)
    consent_digest = forms.CharField(widget=forms.HiddenInput)
    leave_this_empty = forms.CharField(
        required=False,
        label="Leave this field empty",
        widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"}),
    )

    def __init__(
        self,
        *args,
        sessions: list[ClassSession],
        wordings: ConsentWordings,
        club: Club,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.wordings = wordings
        self.sessions = {session.pk: session for session in sessions}
        self.fields["phone"] = phone_field_for(club, self.fields["phone"])
        # The field's own example is a landline ("010 123 4567"); we ask for a mobile.
        self.fields["phone"].error_messages["invalid"] = (
            f"Enter a valid mobile number (e.g. {mobile_example(club.phone_region)}) or a "
            "number with an international call prefix."
        )
        self.fields["phone"].widget.attrs["autocomplete"] = "tel"
        # The labels are the stored wording, character for character.
        self.fields["sms_consent"].label = wordings.sms
        self.fields["email_consent"].label = wordings.email
        # The error summary names a box briefly, not by its whole sentence.
        self.fields["sms_consent"].summary_label = "SMS consent"
        self.fields["email_consent"].summary_label = "Email consent"
        self.fields["consent_digest"].initial = wordings.digest
        if sessions or self.data.get("session"):
            # A class picked from a list that has since emptied is an invalid choice, not
            # silently a sign-up without a class.
            self.fields["session"].choices = [
                ("", "Choose a day and time…"),
                *session_choices(sessions, club),
            ]
        else:
            # Nothing to book right now: the sign-up still captures the lead and the call.
            del self.fields["session"]

    def error_fields(self) -> list:
        """The fields people see that have errors, in the form's order: the error summary
        links to each."""
        return [field for field in self.visible_fields() if field.errors]

    def focus_first_error(self) -> None:
        """Have the page open with the cursor in the first field with an error (`autofocus`),
        which reads out its label and, through aria-describedby, its error. Without one
        (an error about the whole form) the template focuses the error summary instead."""
        if fields := self.error_fields():
            fields[0].field.widget.attrs["autofocus"] = True

    def is_spam(self) -> bool:
        return bool(self.data.get(HONEYPOT, "").strip())

    def clean(self):
        cleaned = super().clean()
        # As at the desk: a landline ticked for texts would get the trial reminder SMS.
        phone = cleaned.get("phone")
        if cleaned.get("sms_consent") and phone and (problem := sms_consent_problem(phone)):
            self.add_error("sms_consent", problem)
        given = cleaned.get("sms_consent") or cleaned.get("email_consent")
        if given and cleaned.get("consent_digest") != self.wordings.digest:
            # The texts were edited while the visitor filled in the form; they agreed to
            # the old ones, which we must not record as the new ones.
            self.add_error(
                None,
                "Our consent texts changed while you were filling in the form. Please read "
                "them again and tick the boxes you agree to.",
            )
            self.data = self.data.copy()
            for name in ("sms_consent", "email_consent"):
                self.data.pop(name, None)
            self.data["consent_digest"] = self.wordings.digest
        return cleaned

    def signup_arguments(self) -> dict:
        """Keyword arguments for trials.sign_up_for_trial()."""
        data = self.cleaned_data
        session_id = data.get("session")
        return {
            "first_name": data["first_name"].strip(),
            "last_name": data["last_name"].strip(),
            "phone": data["phone"].as_e164,
            "email": data["email"].strip(),
            "session": self.sessions.get(session_id) if session_id else None,
            "sms_consent": data["sms_consent"],
            "email_consent": data["email_consent"],
            "wordings": self.wordings,
        }


def session_choices(sessions: list[ClassSession], club: Club) -> list:
    """Choices grouped by local day ("Tuesday 25 November" → "Tue 25 Nov, 18:30 Spin with Tom
    · Studio 1 · 5 spots left")."""
    zone = clock.zone(club)
    groups: dict[str, list[tuple[int, str]]] = {}
    for session in sessions:
        start = session.start.astimezone(zone)
        day = f"{start:%A} {start.day} {start:%B}"
        # The day again in the option: a closed select shows the option, not its group.
        parts = [f"{start:%a} {start.day} {start:%b}, {start:%H:%M} {session.class_type}"]
        if session.trainer and session.trainer.first_name:
            parts[0] += f" with {session.trainer.first_name}"
        if session.room:
            parts.append(session.room)
        left = session.seats_left
        parts.append(f"{left} spot{'s' if left != 1 else ''} left")
        groups.setdefault(day, []).append((session.pk, " · ".join(parts)))
    return list(groups.items())
