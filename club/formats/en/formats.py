"""How English screens print dates and times: as club staff in Europe read them.

Django's "en" prints "Nov. 18, 2026, 8:10 a.m.". Only the display formats change: the input
formats stay Django's, so date fields keep rendering ISO dates, which <input type="date">
needs. Staff who pick another language in their Wagtail profile get that locale's formats.
"""

DATE_FORMAT = "j M Y"  # 18 Nov 2026
TIME_FORMAT = "H:i"  # 08:10
DATETIME_FORMAT = "j M Y, H:i"  # 18 Nov 2026, 08:10
YEAR_MONTH_FORMAT = "F Y"  # November 2026
MONTH_DAY_FORMAT = "j F"  # 18 November
SHORT_DATE_FORMAT = "d/m/Y"  # 18/11/2026
SHORT_DATETIME_FORMAT = "d/m/Y H:i"  # 18/11/2026 08:10
FIRST_DAY_OF_WEEK = 1  # Monday
