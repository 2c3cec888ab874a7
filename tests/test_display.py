"""How screens and exports word dates (club.display): one name a format, so the members and
payments exports, the choosers and the messages print a date alike."""

import datetime as dt

from django.utils import translation
from django.utils.formats import date_format

from club.display import FULL_DATE, export_datetime
from tests.factories import ClubFactory

UTC = dt.UTC


def test_an_export_prints_a_moment_on_the_clubs_clock():
    # given a club in Sydney and a moment stored in UTC
    sydney = ClubFactory.build(time_zone="Australia/Sydney")
    moment = dt.datetime(2026, 11, 23, 17, 0, tzinfo=UTC)

    # when it is printed for an export
    text = export_datetime(moment, sydney)

    # then it is the club's wall-clock time, sortable, a day ahead of UTC
    assert text == "2026-11-24 04:00"


def test_an_export_without_a_club_uses_the_default_clubs_clock():
    moment = dt.datetime(2026, 7, 1, 12, 30, tzinfo=UTC)

    assert export_datetime(moment, None) == "2026-07-01 14:30"  # Amsterdam, summer time


def test_a_full_date_shows_the_year_in_any_locale():
    day = dt.date(1992, 5, 17)

    with translation.override("en"):
        english = date_format(day, FULL_DATE)
    with translation.override("nl"):
        dutch = date_format(day, FULL_DATE)

    assert (english, dutch) == ("17 May 1992", "17 Mei 1992")
