"""Every quickstart of docs/quickstarts/ as a reader would follow it: a dev server, its banner's ``export`` lines in
the environment, then each page's ``sh`` and ``python`` blocks in order, in a directory of the page's own where
``.strongroom`` is the server's data directory. The server runs on free ports; the pages' default addresses
(127.0.0.1:8080, :8443, :5696) are replaced by them. Blocks marked ``no-run`` are shown, not run."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from kms_harness import ServerInfo, ServerProcess, clean_env

PAGES = Path(__file__).resolve().parents[2] / "docs" / "quickstarts"
FENCE = re.compile(r"^```([^\n]*)\n(.*?)^```", re.M | re.S)
BIN = Path(sys.executable).parent


def runnable_blocks(page: Path) -> list[tuple[str, str]]:
    blocks = [(info.split()[0] if info.split() else "", body) for info, body in FENCE.findall(page.read_text())
              if "no-run" not in info.split()[1:]]
    return [(kind, body) for kind, body in blocks if kind in ("sh", "python")]


@pytest.fixture(scope="module")
def dev_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerInfo]:
    process = ServerProcess(tmp_path_factory.mktemp("quickstarts") / "data", kmip=True, extra_args=["--workers", "1"])
    info = process.start()
    try:
        yield info
    finally:
        process.stop()


def _banner_environment(server: ServerInfo, home: Path) -> dict[str, str]:
    """The environment after pasting the banner's export lines into a shell."""
    exports = "\n".join(line.strip() for line in server.log_text().splitlines() if line.strip().startswith("export "))
    assert exports.count("export ") >= 4, server.log_text()
    shown = subprocess.run(["bash", "-c", exports + "\nenv -0"], capture_output=True, timeout=30,
                           env=clean_env(PATH=f"{BIN}:{os.environ.get('PATH', '')}", HOME=str(home)))
    assert shown.returncode == 0, shown.stderr
    return dict(entry.split("=", 1) for entry in shown.stdout.decode().split("\0") if "=" in entry)


def _with_server_ports(text: str, server: ServerInfo) -> str:
    return (text.replace("127.0.0.1:8080", f"127.0.0.1:{server.port}")
                .replace("127.0.0.1:8443", f"127.0.0.1:{server.tls_port}")
                .replace("127.0.0.1:5696", f"127.0.0.1:{server.kmip_port}"))


def test_the_index_lists_every_page() -> None:
    index = (PAGES / "README.md").read_text()
    pages = sorted(p.name for p in PAGES.glob("*.md") if p.name != "README.md")
    assert pages and all(f"({name})" in index for name in pages)


@pytest.mark.parametrize("page", sorted(p.name for p in PAGES.glob("*.md") if p.name != "README.md"))
def test_the_quickstart_works_as_written(page: str, dev_server: ServerInfo, tmp_path: Path) -> None:
    blocks = runnable_blocks(PAGES / page)
    assert blocks, f"{page} has nothing to run"
    (tmp_path / ".strongroom").symlink_to(dev_server.ca_file.parents[1])  # DATA_DIR/tls/ca.pem
    env = _banner_environment(dev_server, tmp_path)
    for number, (kind, body) in enumerate(blocks, 1):
        code = _with_server_ports(body, dev_server)
        argv = ["bash", "-euo", "pipefail", "-c", code] if kind == "sh" else [sys.executable, "-c", code]
        done = subprocess.run(argv, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, f"{page}, block {number} ({kind}):\n{code}\n--- stdout\n{done.stdout}\n" \
                                     f"--- stderr\n{done.stderr}"
