"""The YAML tree keeps the line of every node, the text of every scalar, and refuses what YAML allows silently."""

from __future__ import annotations

import pytest

from strongroom.seed.errors import SeedError
from strongroom.seed.yaml_tree import read_tree


def test_nodes_know_their_line_and_scalars_their_text() -> None:
    tree = read_tree("a: 1\nkeys:\n  - id: 012345678901\n    hex: 1234567890\n", "f.yaml")
    item = tree.value["keys"].value[0]
    assert item.line == 3
    assert item.value["hex"].line == 4
    assert item.value["hex"].value == 1234567890 and item.value["hex"].text == "1234567890"


def test_duplicate_keys_are_refused_with_their_line() -> None:
    with pytest.raises(SeedError) as caught:
        read_tree("keys: []\naccount: '1'\nkeys: []\n", "f.yaml")
    assert str(caught.value) == "f.yaml:3: duplicate key 'keys'"


def test_merge_keys_are_honoured_and_the_mapping_own_members_win() -> None:
    tree = read_tree("base: &b {spec: HMAC_256, state: Disabled}\nkey:\n  <<: *b\n  state: Enabled\n", "f.yaml")
    assert {k: v.value for k, v in tree.value["key"].value.items()} == {"spec": "HMAC_256", "state": "Enabled"}


def test_invalid_yaml_names_its_line() -> None:
    with pytest.raises(SeedError) as caught:
        read_tree("keys:\n  - id: [1, 2\n", "f.yaml")
    assert caught.value.problems[0].line == 3 and "not valid YAML" in str(caught.value)


def test_a_self_referencing_alias_is_refused_not_followed_forever() -> None:
    with pytest.raises(SeedError, match="too deeply"):
        read_tree("a: &a\n  b: *a\n", "f.yaml")


def test_an_empty_document_is_an_empty_mapping() -> None:
    assert read_tree("", "f.yaml").value == {}
