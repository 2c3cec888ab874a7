import pytest

from campaigns.sms import count_segments


@pytest.mark.parametrize(
    ("text", "encoding", "count"),
    [
        ("", "GSM-7", 0),
        ("a" * 160, "GSM-7", 1),
        ("a" * 161, "GSM-7", 2),
        ("a" * 306, "GSM-7", 2),
        ("a" * 307, "GSM-7", 3),
        ("€" * 80, "GSM-7", 1),  # extension characters take two septets each
        ("€" * 81, "GSM-7", 2),
        ("Grüße aus Köln", "GSM-7", 1),  # ü, ß and ö are in the GSM-7 alphabet
        ("Hi 💪" + "a" * 65, "UCS-2", 1),  # an emoji is two UTF-16 units: 70 in all
        ("Hi 💪" + "a" * 66, "UCS-2", 2),
        ("Szia Ő" + "a" * 64, "UCS-2", 1),
        ("Szia Ő" + "a" * 65, "UCS-2", 2),
    ],
)
def test_segment_count(text, encoding, count):
    segments = count_segments(text)
    assert (segments.encoding, segments.count) == (encoding, count)
