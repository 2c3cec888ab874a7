"""How many SMS segments a text costs: GSM-7 when every character fits, UCS-2 otherwise.

One GSM-7 message holds 160 characters (153 per part when split); the extension table
(€ [ ] { } …) costs two each. One emoji or "ő" turns the whole text into UCS-2: 70
characters, 67 per part, counted in UTF-16 code units.
"""

from __future__ import annotations

from dataclasses import dataclass

GSM7_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENDED = set("^{}\\[~]|€\f")
# Twilio refuses a body longer than this (error 21617), however it is split.
MAX_LENGTH = 1600
# From this many segments the preview warns: each one is charged as a message.
COSTLY_SEGMENTS = 4


@dataclass(frozen=True)
class Segments:
    encoding: str  # "GSM-7" or "UCS-2"
    units: int  # septets or UTF-16 code units
    count: int
    characters: int = 0  # as Twilio counts its limit (MAX_LENGTH)

    @property
    def costly(self) -> bool:
        return self.count >= COSTLY_SEGMENTS

    @property
    def too_long(self) -> bool:
        return self.characters > MAX_LENGTH


def count_segments(text: str) -> Segments:
    if all(c in GSM7_BASIC or c in GSM7_EXTENDED for c in text):
        units = sum(2 if c in GSM7_EXTENDED else 1 for c in text)
        single, part = 160, 153
        encoding = "GSM-7"
    else:
        units = len(text.encode("utf-16-le")) // 2
        single, part = 70, 67
        encoding = "UCS-2"
    count = 1 if units <= single else -(-units // part)
    return Segments(encoding, units, count if text else 0, len(text))
