"""``strongroom seed apply FILE | export | check FILE``: seed files (docs/seeds.md), offline like ``credentials``.

``apply`` makes the store hold what the file describes, as one transaction (applying it again changes nothing);
``export`` writes the store as a seed file; ``check`` reads a file and reports its problems, touching no store.
Key material in a file, and material in an export, are for development only: offline they need
``--allow-seeded-material``.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from strongroom.cli.common import run_with_core, store_arguments
from strongroom.cli.progress import progress
from strongroom.seed import (
    ApplyOptions,
    ApplyReport,
    SeedError,
    SeedFile,
    apply_seed,
    check_material_allowed,
    entry_count,
    export_seed,
    load_seed,
)
from strongroom.server.config import DEFAULT_REGION, ServerConfig
from strongroom.server.dev import DEFAULT_DEV_ACCOUNT
from strongroom.service.core import Core

ALLOW_MATERIAL_HELP = "accept key material in the file (development only; `server --dev` accepts it anyway)"


def add_parser(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    seed = commands.add_parser("seed", help="apply, export or check seed files of keys and accounts")
    actions = seed.add_subparsers(dest="action", required=True)
    apply = actions.add_parser("apply", help="make the store hold what a seed file describes (idempotent)")
    apply.add_argument("file", type=Path, help="the seed file (Strongroom's format or local-kms's)")
    store_arguments(apply)
    apply.add_argument("--account", default=os.environ.get("STRONGROOM_DEV_ACCOUNT_ID") or DEFAULT_DEV_ACCOUNT,
                       help=f"the account of entries the file does not place (default {DEFAULT_DEV_ACCOUNT}, or "
                            "STRONGROOM_DEV_ACCOUNT_ID)")
    apply.add_argument("--region", default=DEFAULT_REGION,
                       help=f"the region of keys the file does not place (default {DEFAULT_REGION})")
    apply.add_argument("--allow-seeded-material", action="store_true", help=ALLOW_MATERIAL_HELP)
    apply.set_defaults(run=run_apply)
    export = actions.add_parser("export", help="write the store as a seed file")
    store_arguments(export)
    export.add_argument("--out", type=Path, help="write to this file (mode 0600) instead of standard output")
    export.add_argument("--include-material", action="store_true",
                        help="write key material and access key secrets in the clear (needs --allow-seeded-material)")
    export.add_argument("--allow-seeded-material", action="store_true", help="allow --include-material")
    export.set_defaults(run=run_export)
    check = actions.add_parser("check", help="read a seed file and report its problems (no store is touched)")
    check.add_argument("file", type=Path)
    check.set_defaults(run=run_check)


def add_server_options(server: argparse.ArgumentParser) -> None:
    """``strongroom server --seed FILE [--allow-seeded-material]``."""
    server.add_argument("--seed", type=Path, metavar="FILE",
                        help="apply this seed file at start, after the dev account exists and before serving "
                             "(docs/seeds.md; applying it again changes nothing)")
    server.add_argument("--allow-seeded-material", action="store_true",
                        help="accept key material in the seed file outside --dev (development only)")


def read_server_seed(args: argparse.Namespace) -> SeedFile | None:
    """The server's ``--seed`` file, read and checked before anything starts: its material is refused outside
    ``--dev`` unless ``--allow-seeded-material``. SeedError says why it cannot be used."""
    if args.seed is None:
        return None
    seed = load_seed(args.seed)
    check_material_allowed(seed, args.dev or args.allow_seeded_material)
    print_notes(seed)
    return seed


def apply_server_seed(core: Core, seed: SeedFile | None, config: ServerConfig) -> None:
    """Apply the server's seed file (checked by ``read_server_seed``): entries that name no account go to the
    operator account (in --dev, the dev account)."""
    if seed is None:
        return
    options = ApplyOptions(default_account=config.operator_account, kms_region=DEFAULT_REGION,
                           transit_region=config.vault_region, kmip_region=config.kmip_region, allow_material=True)
    print_report(apply_seed(core, seed, options), seed.source)


def print_report(report: ApplyReport, source: str) -> None:
    """What an apply changed, one line each, then the secrets made for access keys the file gave none (shown
    once, like ``credentials create``)."""
    for change in report.changes:
        print(f"  {change}")
    count = len(report.changes)
    print(f"seed {source}: {count} change{'s' * (count != 1)}")
    for access_key_id, secret in report.generated_secrets.items():
        print(f"  access key {access_key_id}: secret made for it (shown once): {secret}")


def print_notes(seed: SeedFile) -> None:
    for note in seed.notes:
        print(f"strongroom: note: {note}", file=sys.stderr)


def run_apply(args: argparse.Namespace) -> int:
    try:
        seed = load_seed(args.file)
    except SeedError as exc:
        print(exc, file=sys.stderr)
        return 2
    print_notes(seed)
    options = ApplyOptions(default_account=args.account, kms_region=args.region,
                           allow_material=args.allow_seeded_material)

    def act(core: Core) -> int:
        try:
            with progress("seeding", total=entry_count(seed), unit="entries") as bar:
                report = apply_seed(core, seed, options, bar.advance)
        except SeedError as exc:
            print(exc, file=sys.stderr)
            return 1
        print_report(report, str(args.file))
        return 0
    return run_with_core(args, act)


def run_export(args: argparse.Namespace) -> int:
    if args.include_material and not args.allow_seeded_material:
        print("strongroom: --include-material writes key material in the clear, which is for development only: "
              "add --allow-seeded-material", file=sys.stderr)
        return 2

    def act(core: Core) -> int:
        exported = export_seed(core, include_material=args.include_material)
        for note in exported.notes:
            print(f"strongroom: note: left out {note}", file=sys.stderr)
        if args.out is None:
            sys.stdout.write(exported.text)
            return 0
        fd = os.open(args.out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(exported.text)
        return 0
    return run_with_core(args, act)


def run_check(args: argparse.Namespace) -> int:
    try:
        seed = load_seed(args.file)
    except SeedError as exc:
        print(exc, file=sys.stderr)
        return 1
    print_notes(seed)
    material = len(seed.material_lines())
    print(f"{args.file}: {seed.format} seed file; {len(seed.accounts)} accounts, {len(seed.keys)} keys, "
          f"{len(seed.transit)} transit keys, {len(seed.objects)} KMIP objects"
          + (f"; gives key material on {material} lines (development only)" if material else ""))
    return 0
