from __future__ import annotations

from django import forms

from members.consent import sms_consent_problem
from members.models import EMAIL_MAX_LENGTH, Channel, Member


class LoginForm(forms.Form):
    email = forms.EmailField(
        label="Your email address",
        max_length=EMAIL_MAX_LENGTH,
        widget=forms.EmailInput(
            attrs={"autocomplete": "email", "autofocus": True, "inputmode": "email"}
        ),
    )


class AutoRenewForm(forms.Form):
    """Whether a membership should renew by itself: "on" or "off"."""

    auto_renew = forms.ChoiceField(choices=[("on", "On"), ("off", "Off")])


def consent_wording(member: Member) -> dict[str, str]:
    """The exact sentence next to each switch; the consent log stores what the member saw."""
    club = member.home_club.name
    return {
        Channel.SMS: f"Text me (SMS) about my membership, classes and offers from {club}.",
        Channel.EMAIL: f"Email me about my membership, classes and offers from {club}.",
    }


class ConsentForm(forms.Form):
    """One switch per channel, labelled with the wording that the consent log records."""

    def __init__(self, *args, member: Member, **kwargs):
        super().__init__(*args, **kwargs)
        self.member = member
        self.wording = consent_wording(member)
        initial = {Channel.SMS: member.sms_consent, Channel.EMAIL: member.email_consent}
        for channel in (Channel.SMS, Channel.EMAIL):
            self.fields[channel.value] = forms.BooleanField(
                label=self.wording[channel], required=False, initial=initial[channel]
            )

    def clean(self):
        data = super().clean()
        # The page offers no SMS switch without a number texts reach; a POST made by hand
        # gets the desk's words rather than a consent nobody can use.
        turning_on = data.get(Channel.SMS.value) and not self.member.sms_consent
        if turning_on and (problem := sms_consent_problem(self.member.phone)):
            self.add_error(Channel.SMS.value, problem)
        return data

    def changes(self) -> dict[str, bool]:
        """The channels whose switch moved, with the new setting."""
        current = {Channel.SMS: self.member.sms_consent, Channel.EMAIL: self.member.email_consent}
        return {
            channel: self.cleaned_data[channel]
            for channel in (Channel.SMS, Channel.EMAIL)
            if self.cleaned_data[channel] != current[channel]
        }
