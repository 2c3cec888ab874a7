"""Form fields the back-office shares across apps."""

import contextlib
import datetime as dt

from django import forms
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils import timezone
from phonenumber_field.formfields import PhoneNumberField
from phonenumber_field.phonenumber import to_python
from phonenumber_field.widgets import RegionalPhoneNumberWidget


def bounds_as_the_model(form: forms.ModelForm) -> None:
    """Gives each number field of `form` the least and greatest value its model field's
    validators allow, in its own check and in the browser's input (min, max).

    A PositiveIntegerField's form field takes 0 and up whatever its model validators ask: a
    capacity of −5 was refused as "at least 0" and then 0 as "at least 1". One bound, said once.
    """
    model = form._meta.model
    for name, field in form.fields.items():
        # DecimalField and FloatField are IntegerFields too.
        if not isinstance(field, forms.IntegerField):
            continue
        try:
            validators = model._meta.get_field(name).validators
        except FieldDoesNotExist:
            continue
        least = _tightest(field.min_value, validators, MinValueValidator, max)
        most = _tightest(field.max_value, validators, MaxValueValidator, min)
        if (least, most) == (field.min_value, field.max_value):
            continue
        field.min_value, field.max_value = least, most
        field.validators = [
            v for v in field.validators if not isinstance(v, MinValueValidator | MaxValueValidator)
        ]
        if least is not None:
            field.validators.append(MinValueValidator(least))
        if most is not None:
            field.validators.append(MaxValueValidator(most))
        field.widget.attrs.update(field.widget_attrs(field.widget))


def _tightest(bound, validators, kind, pick):
    limits = [v.limit_value for v in validators if type(v) is kind and not callable(v.limit_value)]
    if bound is not None:
        limits.append(bound)
    return pick(limits) if limits else None


class TimeOfDayField(forms.TimeField):
    """A time of day, typed as 24-hour HH:MM in the browser's own time input.

    Wagtail's time picker rewrites what it cannot read instead of refusing it ("25:00" became
    the time of saving, "9pm" 09:00), and quiet hours decide when texts may go out. The
    browser's input refuses such values itself; the server takes HH:MM (or HH:MM:SS, as a
    browser may send) and nothing else, whatever the staff member's language.
    """

    widget = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    input_formats = ["%H:%M", "%H:%M:%S"]
    default_error_messages = {"invalid": "Enter a time of day as HH:MM (24-hour), e.g. 21:00."}


class DayField(forms.DateField):
    """A date, typed in the browser's own date input (YYYY-MM-DD on the wire).

    Wagtail's date picker, like its time picker, replaces what it cannot read with today on
    leaving the box: a typo in a freeze's or a membership's dates became today's date.
    """

    widget = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    input_formats = ["%Y-%m-%d"]
    default_error_messages = {"invalid": "Enter a date as YYYY-MM-DD, e.g. 2026-12-24."}


class MomentField(forms.DateTimeField):
    """A date and time of day, in the browser's own date-and-time input (a wall-clock time).

    Read and shown on `zone`'s clock when one is set: a record of one club takes its club's
    (`club.time_zones.form_on_club_clock` sets it); else on the page's, Django's active zone.
    A time the clocks skip or pass twice there is a field error, never a guess.
    """

    widget = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
    input_formats = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"]
    default_error_messages = {
        "invalid": "Enter a date and time as YYYY-MM-DD HH:MM (24-hour), e.g. 2026-12-24 18:30.",
        "clock_change": "%(moment)s does not happen once in %(zone)s: the clocks change then "
        "(it is skipped or comes twice). Choose another time.",
    }
    zone: dt.tzinfo | None = None

    def _on_its_clock(self):
        return timezone.override(self.zone) if self.zone is not None else contextlib.nullcontext()

    def prepare_value(self, value):
        with self._on_its_clock():
            return super().prepare_value(value)

    def to_python(self, value):
        with self._on_its_clock():
            try:
                return super().to_python(value)
            except ValidationError as error:
                if error.code != "ambiguous_timezone":
                    raise
                zone = timezone.get_current_timezone()
                raise ValidationError(
                    self.error_messages["clock_change"],
                    code="clock_change",
                    params={
                        "moment": f"{error.params['datetime']:%Y-%m-%d %H:%M}",
                        "zone": getattr(zone, "key", str(zone)),
                    },
                ) from error


class TypedPhoneWidget(RegionalPhoneNumberWidget):
    """A phone input that shows a valid number as the club writes it and anything else as
    typed: the library's widget formatted what it could not read too ("06-1234" came back as
    "61234"), so the error stood under a number the staff member never typed."""

    def format_value(self, value):
        number = to_python(value, region=self.region) if isinstance(value, str) else value
        if isinstance(value, str) and not (number and number.is_valid()):
            return value
        return super().format_value(value)


def phone_field_for(club, field: PhoneNumberField) -> PhoneNumberField:
    """`field` reading national numbers as the club's country's (Club.phone_region), as the
    club's screens show them: a number shown as "0121 496 0457" is typed back the same way.
    Its label, help, length limit and required message stay; its example in the invalid
    message is local."""
    required_message = field.error_messages.get("required")
    return PhoneNumberField(
        region=club.phone_region,
        label=field.label,
        help_text=field.help_text,
        required=field.required,
        max_length=field.max_length,
        widget=TypedPhoneWidget(region=club.phone_region, attrs=field.widget.attrs),
        error_messages={"required": required_message} if required_message else None,
    )
