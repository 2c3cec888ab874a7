"""Form fields the back-office shares across apps."""

from django import forms


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
