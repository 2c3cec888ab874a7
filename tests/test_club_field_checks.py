"""Django's system checks pass at any time of day: a fixed time default within ten seconds of
the clock is warned of (fields.W161), and `check --deploy --fail-level WARNING` failed at
08:59:55 on the quiet hours' 09:00."""

import datetime as dt

import pytest
import time_machine

from club.models import Club


@pytest.mark.parametrize("field", ["quiet_hours_start", "quiet_hours_end"])
def test_the_quiet_hours_defaults_raise_no_warning_at_their_own_time(field):
    default = Club._meta.get_field(field).get_default()
    # Django compares with the clock in UTC.
    at = dt.datetime.combine(dt.date(2026, 11, 25), default, tzinfo=dt.UTC)

    with time_machine.travel(at - dt.timedelta(seconds=5), tick=False):
        warnings = Club._meta.get_field(field).check()

    assert [w.id for w in warnings] == []
    assert default in (dt.time(21), dt.time(9))
