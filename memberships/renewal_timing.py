"""Renewal timing's rules on plain numbers, without Django, so that every app that needs
them asks the same one.

A day `days_left` before a membership's end lies in its second half when the membership is
more than twice that long: `campaigns.lifecycle.in_second_half` asks it in SQL (the stage and
`triggers.membership_ends_in`), the trigger's words quote it, the desk's "Expires in N days"
badge asks it, and the demo generator (`cms.demo`), which draws its history in memory before
any row exists, asks it in Python.

A membership starting `days_after_end` days after another's end renews it when that is within
the club's renewal grace days (`renews`); later it is a rejoin. `sales.renew` links by it and
the analytics' renewal rate counts by it.
"""

from __future__ import annotations


def shortest_length(days_left):
    """The shortest membership, in days (end - start + 1, dates inclusive), in whose second
    half a day `days_left` before its end lies: that day is the membership's day
    `length - days_left`, past the midpoint when the length is more than twice the days left.
    A month's 15th day (15 days left of 30) is the last of its first half, so a new monthly
    member is still onboarding, not expiring, two weeks in. A number, or a query expression
    of one."""
    return 2 * days_left + 1


def in_second_half(length: int, days_left: int) -> bool:
    """Whether the day `days_left` before the end of a membership `length` days long lies in
    its second half: 30 days before the end of a month does not (it is its first day)."""
    return length >= shortest_length(days_left)


def ends_soon(length: int, days_left: int, expiring_within_days: int) -> bool:
    """Whether a membership `length` days long with `days_left` to go is about to end, as the
    lifecycle's "expiring" stage has it: within the club's expiring window and in its second
    half (a month renewed today has 29 days left and is not). The desk's badge and the
    portal's renewal card ask it."""
    return days_left <= expiring_within_days and in_second_half(length, days_left)


def renews(days_after_end, grace_days):
    """Whether a membership starting `days_after_end` days after another's end (1: the next
    day) renews it: it starts no later than the club's `renewal_grace_days` after that end.
    Later, the member went without and came back: a rejoin (win-back), not a renewal. Numbers,
    or numpy / pandas arrays of them (compared element by element)."""
    return days_after_end <= grace_days
