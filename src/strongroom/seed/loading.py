"""Reading a seed file: its format told from its top-level names, then read and checked with line numbers."""

from __future__ import annotations

from pathlib import Path

from strongroom.seed.errors import Problem, SeedError
from strongroom.seed.local_kms import TOP_LEVEL as LOCAL_KMS_TOP_LEVEL
from strongroom.seed.local_kms import read_local_kms
from strongroom.seed.model import SeedFile
from strongroom.seed.native import TOP_LEVEL as NATIVE_TOP_LEVEL
from strongroom.seed.native import read_native
from strongroom.seed.yaml_tree import read_tree

MATERIAL_REFUSED = ("key material in a seed file is for development only: start the server with --dev, or pass "
                    "--allow-seeded-material")


def load_seed(path: Path) -> SeedFile:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SeedError.at(f"cannot read the seed file: {exc}", None, str(path)) from None
    return parse_seed(text, str(path))


def parse_seed(text: str, source: str = "<seed>") -> SeedFile:
    """The seed in ``text``, in Strongroom's format or local-kms's (told apart by their top-level names)."""
    root = read_tree(text, source)
    if not root.is_mapping:
        raise root.error("a seed file is a mapping (of accounts, keys, transit and kmip, or local-kms's Keys)")
    names = set(root.value)
    local, native = names & set(LOCAL_KMS_TOP_LEVEL), names & set(NATIVE_TOP_LEVEL)
    if local and native:
        raise root.error(f"this file mixes local-kms's {', '.join(sorted(local))} with Strongroom's "
                         f"{', '.join(sorted(native))}; use one format per file")
    return read_local_kms(root) if local else read_native(root)


def check_material_allowed(seed: SeedFile, allowed: bool) -> None:
    """Refuse a file that gives key material unless seeded material is allowed (``--dev`` or
    ``--allow-seeded-material``): material written in a file is known to whoever reads the file."""
    lines = seed.material_lines()
    if lines and not allowed:
        raise SeedError([Problem(MATERIAL_REFUSED, line, seed.source) for line in lines])
