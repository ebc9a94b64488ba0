"""Applying a seed file to a store, through the core's services, as one transaction.

Accounts first (keys and grants may name their users), then keys with their aliases and grants, Transit keys and
KMIP objects. Each step makes one thing be as the file says and reports what it changed, so a second application
of the same file reports no change. The first refusal stops the run and rolls everything back; its message names
the line of the entry.
"""

from __future__ import annotations

from collections.abc import Callable

from strongroom.seed.loading import check_material_allowed
from strongroom.seed.model import SeedFile
from strongroom.seed.put_keys import put_key
from strongroom.seed.put_objects import put_object
from strongroom.seed.put_principals import put_account
from strongroom.seed.put_transit import put_transit_key
from strongroom.seed.run import ApplyOptions, ApplyReport, SeedRun
from strongroom.service.core import Core


def entry_count(seed: SeedFile) -> int:
    """How many entries :func:`apply_seed` goes through (for a progress bar)."""
    return len(seed.accounts) + len(seed.keys) + len(seed.transit) + len(seed.objects)


def apply_seed(core: Core, seed: SeedFile, options: ApplyOptions,
               advance: Callable[[], None] = lambda: None) -> ApplyReport:
    """Make the store hold what ``seed`` says, in one transaction; ``advance`` is called after each entry."""
    check_material_allowed(seed, options.allow_material)
    run = SeedRun(core, seed, options)
    with core.seeding.atomically():
        for account in seed.accounts:
            put_account(run, account)
            advance()
        for key in seed.keys:
            put_key(run, key)
            advance()
        for transit_key in seed.transit:
            put_transit_key(run, transit_key)
            advance()
        for managed in seed.objects:
            put_object(run, managed)
            advance()
    return run.report
