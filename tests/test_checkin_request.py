"""The turnstile's fast path for its request body never disagrees with the serializer."""

from hypothesis import given
from hypothesis import strategies as st

from checkin.api import CheckInRequest, plain_lookup

values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False),
    st.text(max_size=80),
    st.text(alphabet=st.characters(codec="ascii"), min_size=0, max_size=70),
    st.lists(st.integers(), max_size=2),
)
bodies = st.one_of(
    st.dictionaries(st.sampled_from(["card", "member_id", "other"]), values, max_size=3),
    values,
)


@given(bodies)
def test_what_the_fast_path_accepts_the_serializer_accepts_alike(body):
    fast = plain_lookup(body)

    if fast is not None:
        serializer = CheckInRequest(data=body)
        assert serializer.is_valid(), serializer.errors
        assert dict(serializer.validated_data) == fast


def test_the_common_bodies_take_the_fast_path():
    assert plain_lookup({"card": "04A1B2C3"}) == {"card": "04A1B2C3"}
    assert plain_lookup({"member_id": 42}) == {"member_id": 42}


def test_anything_unusual_is_left_to_the_serializer():
    for body in (
        {"card": " 04A1 "},  # the serializer trims it
        {"card": ""},
        {"card": "x" * 65},
        {"card": "caf\u00e9"},
        {"member_id": 0},
        {"member_id": True},
        {"member_id": "42"},
        {"card": "04A1", "member_id": 1},
        ["card"],
    ):
        assert plain_lookup(body) is None, body
