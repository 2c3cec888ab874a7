"""Interests, as staff type them: "yoga, strength, spin".

A member's interests and a class type's (checkin.ClassType) are lists of the same lower-case
words, so that a class can be suggested to whoever shares one of its words (rule 9).
"""

from __future__ import annotations

import re

from django import forms

# A word (or a few: "weight loss"): letters, digits, spaces and hyphens. Anything else is
# more likely a paste of something else (JSON, a sentence) than an interest.
_WORD = re.compile(r"[^\W_](?:[\w -]*[^\W_])?")
WORD_MAX_LENGTH = 40
MAX_WORDS = 20
EXAMPLE = "e.g. yoga, strength, spin"


def parse(text: str) -> list[str]:
    """The words of `text`, split at commas, trimmed, lower case, each once, in order.
    Raises ValueError naming what is wrong."""
    words: list[str] = []
    for part in text.split(","):
        word = " ".join(part.split()).lower()
        if not word or word in words:
            continue
        if len(word) > WORD_MAX_LENGTH or not _WORD.fullmatch(word):
            raise ValueError(
                f"“{word[:WORD_MAX_LENGTH]}” is not an interest: type words separated by "
                f"commas ({EXAMPLE}), each at most {WORD_MAX_LENGTH} characters."
            )
        words.append(word)
    if len(words) > MAX_WORDS:
        raise ValueError(f"At most {MAX_WORDS} interests.")
    return words


class InterestsField(forms.CharField):
    """Comma-separated words in, a list out; empty is [] (the column holds no NULL)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("help_text", f"Words separated by commas, {EXAMPLE}.")
        super().__init__(**kwargs)

    def prepare_value(self, value):
        if isinstance(value, list | tuple):
            return ", ".join(str(word) for word in value)
        return value

    def to_python(self, value) -> list[str]:
        text = super().to_python(value)
        try:
            return parse(text)
        except ValueError as error:
            raise forms.ValidationError(str(error), code="invalid") from None

    def has_changed(self, initial, data) -> bool:
        try:
            return list(initial or []) != self.to_python(data)
        except forms.ValidationError:
            return True
