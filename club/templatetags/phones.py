"""Phone numbers as staff read them out and dial them; they are stored in E.164."""

import phonenumbers
from django import template
from django.conf import settings
from phonenumber_field.phonenumber import PhoneNumber

register = template.Library()


@register.filter
def phone(number, club=None) -> str:
    """`{{ member.phone|phone:club }}`: national format for a number of the club's country
    ("020 7946 0542" at a London club), international for any other ("+31 6 12345678").
    A stored value that is not a valid number is shown as it is, rather than hidden."""
    if not number:
        return ""
    if not isinstance(number, PhoneNumber) or not number.is_valid():
        return str(number)
    region = club.phone_region if club is not None else settings.PHONENUMBER_DEFAULT_REGION
    home = number.country_code == phonenumbers.country_code_for_region(region)
    style = (
        phonenumbers.PhoneNumberFormat.NATIONAL
        if home
        else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    )
    return phonenumbers.format_number(number, style)
