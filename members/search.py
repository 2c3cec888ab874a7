"""Normalising text for member search: what the desk types, and what we index.

Names are matched accent-, case-, punctuation- and space-insensitively on a stored
`search_name` ("José Núñez" → "josenunez", "Seán O'Brien" → "seanobrien"), phones by their
E.164 form whatever the format typed and by any run of four or more of their digits, card
tokens in upper case without separators.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import phonenumbers
from anyascii import anyascii
from django.conf import settings

_NOT_LETTER_OR_DIGIT = re.compile(r"[^a-z0-9]+")
_PHONE_CHARS = re.compile(r"^[\d\s()+./-]+$")
_CARD_SEPARATORS = re.compile(r"[\s:-]+")

# Staff type the last four digits or more; fewer would match a good part of the club.
PHONE_FRAGMENT_MIN = 4
# E.164 holds at most 15 digits: a longer run cannot be part of any stored phone.
PHONE_DIGITS_MAX = 15
# After its trunk 0, a national number this long is a whole number, not the 0 of a tail
# ("0835" is the end of a number; "07700 900123" is a UK number at a Dutch club).
NATIONAL_DIGITS_MIN = 6


def card_token(token: str) -> str:
    """A card token as stored and looked up: readers send the same card's hex id in upper or
    lower case, and people type it either way, often in the groups printed on the card
    ("04 ab cd ef 12 34", "04:AB:CD:EF:12:34", "04-ab-cd-ef"): spaces, dashes and colons
    are dropped, so every spelling is the one token."""
    return _CARD_SEPARATORS.sub("", token).upper()


def fold(text: str) -> str:
    """Transliterate to ASCII, lower-case, and drop everything but letters and digits: the
    desk types "obrien" for O'Brien and "vanvliet" for van Vliet."""
    return _NOT_LETTER_OR_DIGIT.sub("", anyascii(text).lower())


def search_name(first_name: str, last_name: str) -> str:
    """The whole name folded into one run of letters and digits ("Jan van Vliet" →
    "janvanvliet"): every word typed is looked for inside it, so words may be typed apart or
    run together, in any order."""
    return fold(f"{first_name} {last_name}")


def name_words(query: str) -> list[str]:
    """The words of a query as looked for in `search_name`: split where the desk typed a space,
    each folded ("O'Brien" → "obrien"); a word of punctuation alone is no word."""
    return [word for word in map(fold, query.split()) if word]


@dataclass(frozen=True)
class NameWord:
    """A word of a query and the other ways German writes it. Folding makes ü a u, so
    "Müller" is stored as "muller"; but he writes "Mueller" where a keyboard or a form has
    no ü, and the desk types what he spells. `written_out` ("mueller" typed) is the folded
    form of the umlaut it stands for ("muller"), to be looked for only in names that have
    an umlaut: "Joel" must not find every "Jolanda". `spelled_out` ("müller" typed) is the
    word as a name written without umlauts holds it ("mueller")."""

    folded: str
    written_out: str | None = None
    spelled_out: str | None = None


_WRITTEN_OUT_UMLAUT = re.compile(r"([aou])e")
_SPELL_OUT_UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue"})
# What a name holding an umlaut matches (a regex PostgreSQL and SQLite both run).
HAS_UMLAUT = r"[äöüÄÖÜ]"


def name_word_spellings(query: str) -> list[NameWord]:
    """name_words() with each word's German spellings."""
    words = []
    for typed in query.split():
        folded = fold(typed)
        if not folded:
            continue
        collapsed = _WRITTEN_OUT_UMLAUT.sub(r"\1", folded)
        spelled = fold(typed.lower().translate(_SPELL_OUT_UMLAUTS))
        words.append(
            NameWord(
                folded,
                written_out=collapsed if collapsed != folded else None,
                spelled_out=spelled if spelled != folded else None,
            )
        )
    return words


def as_phone(query: str, region: str | None = None) -> str | None:
    """The E.164 form of a query that looks like a phone number, else None."""
    if not _PHONE_CHARS.match(query) or sum(c.isdigit() for c in query) < 6:
        return None
    try:
        number = phonenumbers.parse(query, region or settings.PHONENUMBER_DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def phone_fragments(query: str) -> list[str]:
    """The runs of digits to look for inside stored E.164 phones: the digits typed (spaces,
    dashes and brackets ignored), and for a number in national format the digits after its
    leading zeros, as they appear in E.164 whatever the country ("07700 900123" finds
    +447700900123 at a Dutch club). Empty for anything but a phone-like 4 to 15 digits,
    and for a number typed from its "+": that is matched whole, by `as_phone`."""
    # "+31 6 1", on its way to a whole number, holds the digits every Dutch mobile starts
    # with: as a fragment it would list (and read) most of the club at every keystroke.
    if not _PHONE_CHARS.match(query) or query.startswith("+"):
        return []
    digits = "".join(c for c in query if c.isdigit())
    if not PHONE_FRAGMENT_MIN <= len(digits) <= PHONE_DIGITS_MAX:
        return []
    national = digits.lstrip("0")
    if national != digits and len(national) >= NATIONAL_DIGITS_MIN:
        return [digits, national]
    return [digits]


def walk_in_details(query: str, region: str | None = None) -> dict[str, str]:
    """What a search that found nobody says about the walk-in, for the lead form, read as the
    search reads it: an address ("@") is the email, a phone (`as_phone`, or digits
    `phone_fragments` would look for) the phone, words without digits the name (the first
    word the first name, the rest the last name). Anything else, a card token perhaps,
    fills in nothing. As typed: the form reads the phone in the club's region."""
    query = query.replace("\x00", "").strip()
    if not query:
        return {}
    if "@" in query:
        return {"email": query}
    if as_phone(query, region) or phone_fragments(query):
        return {"phone": query}
    words = query.split()
    if any(c.isdigit() for c in query) or not name_words(query):
        return {}
    return {"first_name": words[0], "last_name": " ".join(words[1:])}
