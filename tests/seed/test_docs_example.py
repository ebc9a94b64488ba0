"""The examples of docs/seeds.md apply as written (with real keys where the page shows ``...``)."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from strongroom.seed import ApplyOptions, apply_seed, parse_seed

PAGE = Path(__file__).parents[2] / "docs" / "seeds.md"
OPTIONS = ApplyOptions(default_account="111122223333", allow_material=True)


def examples() -> list[str]:
    return re.findall(r"```yaml\n(.*?)```", PAGE.read_text(), re.DOTALL)


def with_real_keys(example: str) -> str:
    """The page's elided PEM blocks replaced by real keys of the same kind, indented as they are."""
    def real(found: re.Match[str]) -> str:
        indent, label = found.group(1), found.group(2)
        private = ec.generate_private_key(ec.SECP256R1()) if label == "EC PRIVATE KEY" else \
            rsa.generate_private_key(public_exponent=65537, key_size=2048)
        form = serialization.PrivateFormat.TraditionalOpenSSL if label == "EC PRIVATE KEY" else \
            serialization.PrivateFormat.PKCS8
        pem = private.private_bytes(serialization.Encoding.PEM, form, serialization.NoEncryption()).decode()
        return textwrap.indent(pem, indent)
    example = re.sub(r"( *)-----BEGIN ([A-Z ]+)-----\n *\.\.\.\n(?: *-----END [A-Z ]+-----\n)?", real, example)
    return example.replace("<64 hex digits>", "ab" * 32)


def test_the_page_has_its_two_examples() -> None:
    assert len(examples()) == 2


def test_each_example_applies_and_applies_again_with_no_change(core) -> None:  # type: ignore[no-untyped-def]
    for number, example in enumerate(examples()):
        seed = parse_seed(with_real_keys(example), f"docs/seeds.md example {number + 1}")
        assert apply_seed(core, seed, OPTIONS).changes
        assert apply_seed(core, seed, OPTIONS).changes == []
