"""Policy variables in condition values (``"${aws:username}"``), substituted as IAM does in 2012-10-17 policies.

``${key}`` stands for the request's value of that condition key and ``${key, 'default'}`` for the default when
the request has none; ``${*}``, ``${?}`` and ``${$}`` stand for those characters, taken literally. A value that
names a key the request lacks, with no default, matches nothing. Policies of version 2008-10-17 (the version of
a policy that names none) keep ``${...}`` as plain text.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

_VARIABLE = re.compile(r"\$\{([^}]*)\}")
_WITH_DEFAULT = re.compile(r"^\s*([^,\s]+)\s*,\s*'([^']*)'\s*$")
_CHARACTERS = frozenset("*?$")


def _same(text: str) -> str:
    return text


@dataclass(frozen=True, slots=True)
class Template:
    """A condition value with variables: ``texts`` around ``variables`` (key and default, or None and a
    character for ``${*}``, ``${?}``, ``${$}``)."""

    texts: tuple[str, ...]
    variables: tuple[tuple[str | None, str | None], ...]

    def render(self, lookup: Callable[[str], Any], *, text: Callable[[str], str] = _same,
               value: Callable[[str], str] = _same) -> str | None:
        """The value for this request, its own text passed through ``text`` and substituted values through
        ``value`` (a pattern keeps its own wildcards and escapes the substituted ones); None when a key is missing."""
        out = [text(self.texts[0])]
        for (key, default), after in zip(self.variables, self.texts[1:], strict=True):
            found = lookup(key) if key is not None else None
            if found is None or isinstance(found, list | tuple | set | frozenset):
                found = default
            if found is None:
                return None
            out += [value(as_text(found)), text(after)]
        return "".join(out)


def template(value: str) -> Template | None:
    """The variables of ``value``, or None when it has none."""
    if "${" not in value:
        return None
    texts, variables, start = [], [], 0
    for found in _VARIABLE.finditer(value):
        texts.append(value[start:found.start()])
        start = found.end()
        inner = found.group(1)
        if inner in _CHARACTERS:
            variables.append((None, inner))
        elif (with_default := _WITH_DEFAULT.match(inner)) is not None:
            variables.append((with_default.group(1), with_default.group(2)))
        else:
            variables.append((inner.strip(), None))
    texts.append(value[start:])
    return Template(tuple(texts), tuple(variables)) if variables else None


def as_text(value: Any) -> str:
    """A condition value as IAM compares it: booleans as ``true``/``false``, numbers in their usual form."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
