"""Throwaway SoftHSM2 tokens for the pkcs11 root-of-trust tests: each lives in its own directory, chosen by
``SOFTHSM2_CONF``. ``make test`` installs SoftHSM2 when it can; without it these tests are skipped."""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

_CANDIDATES = ("/usr/lib/softhsm/libsofthsm2.so", "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
               "/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so", "/usr/local/lib/softhsm/libsofthsm2.so")
PIN = "246810"
SO_PIN = "13579111"


def softhsm_library() -> Path:
    """The SoftHSM2 PKCS#11 module, or skip the test."""
    for candidate in (os.environ.get("STRONGROOM_TEST_PKCS11_LIBRARY"), *_CANDIDATES):
        if candidate and Path(candidate).is_file() and shutil.which("softhsm2-util"):
            return Path(candidate)
    pytest.skip("SoftHSM2 is not installed (apt-get install softhsm2; `make test` does it when run as root)")


@dataclass(frozen=True)
class SoftHsm:
    conf: Path
    library: Path
    token_label: str = "strongroom"
    pin: str = PIN

    def env(self) -> dict[str, str]:
        return {"SOFTHSM2_CONF": str(self.conf)}

    def write_config(self, path: Path, *, pin: str | None = None, token_label: str | None = None,
                     key_label: str = "strongroom-root") -> Path:
        """A server config file (TOML) choosing this token as the root of trust."""
        path.write_text(f'[root_of_trust]\nkind = "pkcs11"\nlibrary = "{self.library}"\n'
                        f'token_label = "{token_label or self.token_label}"\npin = "{pin or self.pin}"\n'
                        f'key_label = "{key_label}"\n')
        return path


def make_token(directory: Path, label: str = "strongroom") -> SoftHsm:
    """A fresh, initialized token in ``directory`` (with its own softhsm2.conf)."""
    library = softhsm_library()
    tokens = directory / "tokens"
    tokens.mkdir(parents=True, exist_ok=True)
    conf = directory / "softhsm2.conf"
    conf.write_text(f"directories.tokendir = {tokens}\nobjectstore.backend = file\nlog.level = ERROR\n")
    subprocess.run(["softhsm2-util", "--init-token", "--free", "--label", label, "--pin", PIN, "--so-pin", SO_PIN],
                   env={**os.environ, "SOFTHSM2_CONF": str(conf)}, check=True, capture_output=True, timeout=30)
    return SoftHsm(conf, library, label)
