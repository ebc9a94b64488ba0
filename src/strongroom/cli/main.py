"""``strongroom server | credentials | tokens | kmip-clients | accounts | users | operator | audit | seed | azure |
gcp | keys | aliases …``: the entry point."""

from __future__ import annotations

import argparse
import sys

from strongroom.cli import (
    aliases,
    audit,
    backup,
    credentials,
    keys,
    kmip_clients,
    operator,
    principals,
    seed,
    server,
    tokens,
    workload_identities,
)
from strongroom.cli.environment import apply_environment
from strongroom.server import logs


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="strongroom", description="A self-hosted key management service.")
    parser.add_argument("--log-level", default="INFO", help="DEBUG, INFO, WARNING or ERROR (default INFO)")
    parser.add_argument("--log-format", choices=("json", "text"), default=None,
                        help="default: text on a terminal, else JSON lines")
    apply_environment(parser)
    commands = parser.add_subparsers(dest="command", required=True)
    server.add_parser(commands)
    credentials.add_parser(commands)
    principals.add_parsers(commands)
    operator.add_parser(commands)
    audit.add_parser(commands)
    backup.add_parsers(commands)
    tokens.add_parser(commands)
    kmip_clients.add_parser(commands)
    keys.add_parser(commands)
    aliases.add_parser(commands)
    seed.add_parser(commands)
    workload_identities.add_parser(commands)
    apply_environment(commands.choices["server"])  # every server option, for containers and CI
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logs.configure(args.log_level, args.log_format or ("text" if sys.stderr.isatty() else "json"))
    return args.run(args)
