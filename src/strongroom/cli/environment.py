"""Every option of a command from the environment too: ``--kmip-port`` is also ``STRONGROOM_KMIP_PORT``.

What the command line says wins; the environment replaces only the built-in default, which is what a container
or a CI job needs. Flags take ``1/true/yes/on`` or ``0/false/no/off``; repeatable options take a comma-separated
list (``STRONGROOM_QUOTA=Encrypt=100,Decrypt=100``).
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Mapping
from typing import Any

PREFIX = "STRONGROOM_"
_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off", ""})


def variable_name(action: argparse.Action) -> str:
    return PREFIX + action.dest.upper()


def options(parser: argparse.ArgumentParser) -> list[argparse.Action]:
    """The options of ``parser`` that the environment can set (not help, not positionals, not subcommands)."""
    return [action for action in parser._actions
            if action.option_strings and not isinstance(action, argparse._HelpAction | argparse._SubParsersAction)]


def apply_environment(parser: argparse.ArgumentParser, environ: Mapping[str, str] | None = None) -> None:
    """Set each option's default from its ``STRONGROOM_*`` variable, when set; a bad value stops with an error
    naming the variable."""
    environ = os.environ if environ is None else environ
    for action in options(parser):
        name = variable_name(action)
        if action.help and name not in action.help:
            action.help += f" [env {name}]"
        raw = environ.get(name)
        if raw is None:
            continue
        try:
            action.default = _value(action, raw.strip())
        except (ValueError, TypeError, argparse.ArgumentTypeError) as exc:
            parser.error(f"{name}={raw!r}: {exc}")


def _value(action: argparse.Action, raw: str) -> Any:
    if isinstance(action, argparse._StoreTrueAction):
        if raw.lower() not in _TRUE | _FALSE:
            raise ValueError("expected 1/true/yes/on or 0/false/no/off")
        return raw.lower() in _TRUE
    if isinstance(action, argparse._AppendAction):
        return [_one(action, part.strip()) for part in raw.split(",") if part.strip()]
    return _one(action, raw)


def _one(action: argparse.Action, raw: str) -> Any:
    value = action.type(raw) if callable(action.type) else raw
    if action.choices is not None and value not in action.choices:
        raise ValueError(f"expected one of {', '.join(map(str, action.choices))}")
    return value
