"""A running server cannot leave a core file: its supervisor and its workers have a core-size limit of zero."""

from __future__ import annotations

from pathlib import Path

from kms_harness import ServerProcess


def _core_limit(pid: int) -> str:
    line = next(line for line in Path(f"/proc/{pid}/limits").read_text().splitlines()
                if line.startswith("Max core file size"))
    return " ".join(line.split()[4:6])


def test_the_supervisor_and_every_worker_have_no_core_dumps(tmp_path: Path) -> None:
    process = ServerProcess(tmp_path / "data", extra_args=["--workers", "2"])
    process.start()
    try:
        assert process.proc is not None
        supervisor = process.proc.pid
        children = Path(f"/proc/{supervisor}/task/{supervisor}/children").read_text().split()
        assert len(children) >= 2
        for pid in [supervisor, *map(int, children)]:
            assert _core_limit(pid) == "0 0", pid
    finally:
        process.stop()
