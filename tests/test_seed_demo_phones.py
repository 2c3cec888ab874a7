"""The demo's people agree to texts only with a number that takes them (members.consent), as
every form and the import insist; the rest keep the UK's fictional landlines."""

import datetime as dt

from cms.demo import generator
from members.consent import sms_consent_problem


def test_whoever_agreed_to_texts_has_a_number_that_takes_them():
    people = generator.generate(members=1200, years=1, seed=7, today=dt.date(2026, 11, 25)).people

    texted = [phone for phone, sms in zip(people.phone, people.sms_consent, strict=True) if sms]
    others = [phone for phone, sms in zip(people.phone, people.sms_consent, strict=True)
              if phone and not sms]  # fmt: skip

    assert len(texted) > 500
    assert [phone for phone in texted if sms_consent_problem(phone)] == []
    # most others are landlines (the rest agreed once and texted STOP since)
    landlines = [phone for phone in others if sms_consent_problem(phone)]
    assert len(landlines) > 0.8 * len(others) > 50
    numbers = [phone for phone in people.phone if phone]
    assert len(set(numbers)) == len(numbers)
