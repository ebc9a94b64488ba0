from hypothesis import given
from hypothesis import strategies as st

from strongroom.domain.encryption_context import canonical_encryption_context as canon


def test_empty_and_none_encode_alike():
    assert canon(None) == canon({}) == b""


def test_order_does_not_matter():
    assert canon({"a": "1", "b": "2"}) == canon({"b": "2", "a": "1"})


def test_boundaries_are_unambiguous():
    assert canon({"ab": "c"}) != canon({"a": "bc"})
    assert canon({"a": "b", "c": "d"}) != canon({"a": "bcd"})
    assert canon({"": "ab"}) != canon({"a": "b"})


def test_known_vector():
    assert canon({"a": "bc"}) == bytes.fromhex("00000001" "00000001" "61" "00000002" "6263")


@given(st.dictionaries(st.text(max_size=5), st.text(max_size=5)),
       st.dictionaries(st.text(max_size=5), st.text(max_size=5)))
def test_distinct_contexts_never_collide(a, b):
    if a != b:
        assert canon(a) != canon(b)
