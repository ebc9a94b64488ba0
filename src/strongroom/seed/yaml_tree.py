"""A YAML document as a tree of nodes that remember their line, so every later error can name it.

Built from PyYAML's node API (``compose``, not ``load``): scalars are resolved as the safe loader resolves them
(``!!binary``, timestamps, numbers), each node keeps its text too (an account id or a hex string that YAML reads as
a number is still the text it was written as), merge keys (``<<``) are honoured and duplicate keys refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml

from strongroom.seed.errors import SeedError

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
MAX_DEPTH = 64
MAX_NODES = 1_000_000  # aliases can make a small file a huge tree


@dataclass(frozen=True, slots=True)
class Node:
    """``value``: a ``dict[str, Node]``, a ``list[Node]`` or a resolved scalar; ``text``: a scalar as written."""

    value: Any
    line: int
    source: str
    text: str | None = None

    @property
    def is_mapping(self) -> bool:
        return isinstance(self.value, dict)

    @property
    def is_sequence(self) -> bool:
        return isinstance(self.value, list)

    def error(self, message: str) -> SeedError:
        return SeedError.at(message, self.line, self.source)


def read_tree(text: str, source: str) -> Node:
    """The document in ``text`` (an empty document is an empty mapping); SeedError if it is not YAML."""
    loader = _Loader(text)
    try:
        root = loader.get_single_node()
        if root is None:
            return Node({}, 1, source)
        return _Builder(loader, source).node(root, 0)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise SeedError.at(f"not valid YAML: {exc.problem or exc.context}", mark.line + 1 if mark else None,
                           source) from None
    except yaml.YAMLError as exc:
        raise SeedError.at(f"not valid YAML: {exc}", None, source) from None
    finally:
        loader.dispose()


class _Builder:
    def __init__(self, loader: Any, source: str) -> None:
        self._loader = loader
        self._source = source
        self._count = 0

    def node(self, node: yaml.Node, depth: int) -> Node:
        line = node.start_mark.line + 1
        self._count += 1
        if depth > MAX_DEPTH or self._count > MAX_NODES:
            raise SeedError.at("the document is nested too deeply or too large", line, self._source)
        if isinstance(node, yaml.MappingNode):
            return Node(self._mapping(node, depth), line, self._source)
        if isinstance(node, yaml.SequenceNode):
            return Node([self.node(item, depth + 1) for item in node.value], line, self._source)
        return Node(self._loader.construct_object(node, deep=True), line, self._source, node.value)

    def _mapping(self, node: yaml.MappingNode, depth: int) -> dict[str, Node]:
        own = sum(1 for key, _ in node.value if key.tag != "tag:yaml.org,2002:merge")
        self._loader.flatten_mapping(node)  # merged entries first, then the mapping's own, which override them
        merged = len(node.value) - own
        merged_names = {key.value for key, _ in node.value[:merged]}
        out: dict[str, Node] = {}
        for index, (key_node, value_node) in enumerate(node.value):
            line = key_node.start_mark.line + 1
            if not isinstance(key_node, yaml.ScalarNode):
                raise SeedError.at("a mapping key must be a plain name", line, self._source)
            name = key_node.value
            if name in out and index >= merged and name not in merged_names:
                raise SeedError.at(f"duplicate key {name!r}", line, self._source)
            out[name] = self.node(value_node, depth + 1)
        return out

