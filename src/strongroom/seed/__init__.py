"""Seed files: a declarative description of accounts, users, access keys, keys, Transit keys and KMIP objects, put
in place by ``strongroom seed apply`` or ``strongroom server --seed`` and written by ``strongroom seed export``.

``load_seed`` reads a file (Strongroom's format or local-kms's, told apart by their top-level names) into a
``SeedFile``, with every problem named by its line; ``apply_seed`` makes the store hold what it describes, as one
transaction, and is idempotent; ``export_seed`` writes the store back as a seed file. See docs/seeds.md.
"""

from strongroom.seed.apply import apply_seed, entry_count
from strongroom.seed.errors import SeedError
from strongroom.seed.export import export_seed
from strongroom.seed.loading import check_material_allowed, load_seed, parse_seed
from strongroom.seed.model import SeedFile
from strongroom.seed.run import ApplyOptions, ApplyReport

__all__ = ["ApplyOptions", "ApplyReport", "SeedError", "SeedFile", "apply_seed", "check_material_allowed",
           "entry_count", "export_seed", "load_seed", "parse_seed"]
