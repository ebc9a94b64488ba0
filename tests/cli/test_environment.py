"""Every server option from a STRONGROOM_* variable: the command line wins, the variable replaces the default."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

import pytest

from strongroom.cli.environment import apply_environment, options, variable_name
from strongroom.cli.main import build_parser
from strongroom.server.logs import JsonFormatter, TextFormatter


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="t")
    parser.add_argument("--port", type=int, default=8080, help="port")
    parser.add_argument("--dev", action="store_true", help="dev")
    parser.add_argument("--quota", action="append", default=[], help="quota")
    parser.add_argument("--mode", choices=("a", "b"), default="a", help="mode")
    return parser


def test_variables_replace_defaults_and_the_command_line_wins() -> None:
    parser = _parser()
    apply_environment(parser, {"STRONGROOM_PORT": "9000", "STRONGROOM_DEV": "yes",
                               "STRONGROOM_QUOTA": "Encrypt=5, Decrypt=6", "STRONGROOM_MODE": "b"})
    args = parser.parse_args([])
    assert (args.port, args.dev, args.quota, args.mode) == (9000, True, ["Encrypt=5", "Decrypt=6"], "b")
    assert parser.parse_args(["--port", "7000"]).port == 7000
    assert "[env STRONGROOM_PORT]" in parser.format_help()


@pytest.mark.parametrize(("name", "value", "message"), [
    ("STRONGROOM_PORT", "eighty", "STRONGROOM_PORT='eighty'"),
    ("STRONGROOM_DEV", "maybe", "expected 1/true/yes/on"),
    ("STRONGROOM_MODE", "c", "expected one of a, b"),
])
def test_a_bad_value_names_the_variable(name: str, value: str, message: str,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stopped:
        apply_environment(_parser(), {name: value})
    assert stopped.value.code == 2 and message in capsys.readouterr().err


def test_every_server_option_has_a_variable_and_the_docs_list_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STRONGROOM_KMIP_PORT", "0")
    monkeypatch.setenv("STRONGROOM_NO_QUOTAS", "1")
    parser = build_parser()
    server = parser._subparsers._group_actions[0].choices["server"]  # type: ignore[union-attr]
    args = parser.parse_args(["server"])
    assert args.kmip_port == 0 and args.no_quotas is True
    documented = (Path(__file__).parents[2] / "docs" / "configuration.md").read_text()
    missing = [variable_name(action) for action in options(server) if variable_name(action) not in documented]
    assert missing == [], f"docs/configuration.md does not list {missing}"


def test_text_logs_carry_the_extra_facts_and_json_stays_json() -> None:
    record = logging.LogRecord("strongroom.server", logging.INFO, __file__, 1, "worker %d unsealed", (7,), None)
    record.port = 8080
    text = TextFormatter().format(record)
    assert "INFO" in text and "strongroom.server: worker 7 unsealed" in text and text.endswith("port=8080")
    assert JsonFormatter().format(record).startswith("{")
