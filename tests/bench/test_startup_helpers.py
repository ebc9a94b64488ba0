"""The startup phase's pure parts: log time stamps, aggregation, the bar, sizes and estimates, the import profile and
the report section. Nothing here starts a server or times anything."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

import pytest

from bench import report, startup
from bench.scale import ScaleStore
from bench.suite import Plan

SPAWNED = datetime.datetime(2026, 12, 3, 13, 10, 39, tzinfo=datetime.UTC).timestamp()


def _line(offset_ms: int, logger: str, message: str) -> str:
    at = datetime.datetime.fromtimestamp(SPAWNED + offset_ms / 1000, datetime.UTC)
    stamp = at.isoformat(timespec="milliseconds")
    return f'{{"time":"{stamp}","level":"INFO","logger":"{logger}","message":"{message}"}}'


def test_log_marks_find_the_supervisor_and_the_last_worker() -> None:
    text = "\n".join(["Strongroom dev server", "  AWS KMS API: http://127.0.0.1:1", "{not json",
                      _line(570, "strongroom.unseal", "unsealed with the file root of trust"),
                      _line(580, "strongroom.server", "worker 11 unsealed"),
                      _line(595, "strongroom.server", "worker 12 unsealed"),
                      _line(900, "strongroom.server", "worker 13 unsealed")])
    marks = startup.log_marks(text, SPAWNED, workers=2)
    assert marks["supervisor_unsealed_s"] == pytest.approx(0.570, abs=1e-6)
    assert marks["workers_unsealed_s"] == pytest.approx(0.595, abs=1e-6)  # the second worker, not a restart


def test_log_marks_are_none_when_a_line_is_missing() -> None:
    text = _line(570, "strongroom.unseal", "unsealed with the file root of trust") + "\n" + _line(
        580, "strongroom.server", "worker 11 unsealed")
    assert startup.log_marks(text, SPAWNED, workers=2) == {"supervisor_unsealed_s": pytest.approx(0.57),
                                                           "workers_unsealed_s": None}
    assert startup.log_marks("", SPAWNED, workers=1) == {"supervisor_unsealed_s": None, "workers_unsealed_s": None}


def _run(target: str, keys: int, api_s: float | None, *, rep: int = 0, error: str | None = None,
         **extra: Any) -> dict[str, Any]:
    return {"target": target, "keys": keys, "rep": rep, "api_s": api_s, "health_s": api_s, "error": error,
            "pss_mib": 80.0, **extra}


def test_aggregate_takes_median_and_max_over_successful_starts_in_report_order() -> None:
    runs = [_run("100,000 keys", 100_000, 0.7), _run("100,000 keys", 100_000, 0.5),
            _run(startup.EMPTY_SECOND, 0, 0.6), _run(startup.EMPTY_FIRST, 0, 0.8), _run(startup.EMPTY_FIRST, 0, 0.6),
            _run(startup.EMPTY_FIRST, 0, 0.7), _run(startup.EMPTY_FIRST, 0, None, error="exited with 2"),
            _run("100 keys", 100, 0.6), {"target": startup.IMPORTS, "keys": 0, "rep": 0, "imports_s": 0.55}]
    rows = startup.aggregate(runs)
    assert [r["target"] for r in rows] == [startup.IMPORTS, startup.EMPTY_FIRST, startup.EMPTY_SECOND, "100 keys",
                                           "100,000 keys"]
    first = rows[1]
    assert (first["starts"], first["failed"], first["api_s"], first["api_s_max"]) == (3, 1, 0.7, 0.8)
    assert first["errors"] == ["exited with 2"] and first["encrypt_s"] is None
    assert rows[4]["api_s"] == pytest.approx(0.6) and rows[4]["api_s_max"] == 0.7  # even count: the mean of two
    assert rows[0]["imports_s"] == 0.55 and rows[0]["api_s"] is None


def test_the_bar_judges_the_median_time_to_a_served_call() -> None:
    runs = [_run(startup.EMPTY_FIRST, 0, 0.62), _run(startup.EMPTY_FIRST, 0, 1.4),
            _run(startup.EMPTY_FIRST, 0, 0.66), _run(startup.EMPTY_SECOND, 0, 1.2),
            _run("100,000 keys", 100_000, 2.5)]
    lines = startup.bar_lines(startup.aggregate(runs))
    assert [line["result"] for line in lines] == ["PASS", "FAIL", "PASS"]
    assert lines[0]["measured"] == "median 0.66 s, max 1.40 s (3 starts)"
    assert "100,000-key store" in lines[2]["criterion"]


def test_the_bar_fails_a_failed_start_and_is_na_without_a_100k_store() -> None:
    runs = [_run(startup.EMPTY_FIRST, 0, 0.5), _run(startup.EMPTY_FIRST, 0, None, error="no GET /health 200"),
            _run("10,000 keys", 10_000, 0.5)]
    lines = startup.bar_lines(startup.aggregate(runs))
    assert lines[0]["result"] == "FAIL" and lines[0]["measured"].endswith("; 1 failed")
    assert [line["result"] for line in lines[1:]] == ["n/a", "n/a"]
    assert lines[2]["measured"] == "not measured"


def test_startup_sizes_follow_the_scale_stores_plus_100k_unless_quick_or_asked() -> None:
    assert startup.startup_keys([100, 10_000, 1_000_000], None, quick=False) == [100, 10_000, 100_000, 1_000_000]
    assert startup.startup_keys([100, 10_000], None, quick=True) == [100, 10_000]
    assert startup.startup_keys([], None, quick=False) == [100_000]
    assert startup.startup_keys([100], [100_000, 100_000], quick=True) == [100_000]
    assert startup.startup_keys([100], [], quick=False) == []


def _plan(**extra: object) -> Plan:
    base = {"operations": ["Encrypt"], "concurrency": [1], "reps": 1, "duration_s": 2, "warmup_s": 0,
            "createkey_concurrency": [], "createkey_reps": 1, "scale_keys": [], "scale_reps": 1,
            "scale_connections": 8, "spread_keys": 10, "seed": 3, "deadline": 0.0, "profile_seconds": 0}
    return Plan(**{**base, **extra})  # type: ignore[arg-type]


def test_the_plan_budgets_the_starts_and_only_the_stores_the_scale_phase_does_not_build() -> None:
    assert _plan().startup_seconds() == 0.0
    assert _plan(startup_reps=0, startup_keys=[100_000]).startup_seconds() == 0.0
    shared = _plan(scale_keys=[100, 100_000], startup_reps=5, startup_keys=[100, 100_000])
    own = _plan(scale_keys=[100], startup_reps=5, startup_keys=[100, 100_000])
    assert own.startup_seconds() - shared.startup_seconds() == pytest.approx(3.0 + 25e-6 * 100_000)
    full = _plan(scale_keys=[100, 10_000, 1_000_000], startup_reps=5, startup_keys=[100, 10_000, 100_000, 1_000_000])
    assert 30 < full.startup_seconds() - 3.0 - 2.5 < 65  # the README's "under a minute" besides the 100k build
    assert full.estimate() - _plan(scale_keys=[100, 10_000, 1_000_000]).estimate() == pytest.approx(
        full.startup_seconds())


def test_units_pair_the_empty_directory_starts_and_encrypt_with_a_stored_key(tmp_path: Path) -> None:
    stores = [ScaleStore(10_000, tmp_path / "b", ["k3"], {}), ScaleStore(100, tmp_path / "a", ["k1", "k2"], {})]
    units = startup.units(tmp_path / "empty", stores)
    assert [[t.name for t in unit] for unit in units] == [[startup.IMPORTS],
                                                          [startup.EMPTY_FIRST, startup.EMPTY_SECOND],
                                                          ["100 keys"], ["10,000 keys"]]
    assert units[0][0].data_dir is None and units[1][1].data_dir == tmp_path / "empty"
    assert (units[2][0].encrypt_key, units[2][0].keys) == ("k1", 100) and units[1][0].encrypt_key == ""


IMPORTTIME = """import time: self [us] | cumulative | imported package
import time:       103 |        103 |   _io
import time:      2000 |       2000 |       botocore.compat
import time:      1000 |       3000 |     botocore
import time:     19900 |      93400 |     strongroom.protocols.kmip.app
import time:      6500 |       6500 |       strongroom.protocols.kmip.messages
import time:      4100 |       4100 |       strongroom.service.keys
import time:       400 |        400 |   strongroom
garbage line
"""


def test_the_import_profile_sums_self_time_per_package() -> None:
    assert startup.import_group("strongroom.protocols.kmip.app") == "strongroom.protocols.kmip"
    assert startup.import_group("strongroom.service.keys") == "strongroom.service"
    assert startup.import_group("strongroom") == "strongroom"
    assert startup.import_group("botocore.compat") == "botocore"
    profile = startup.parse_importtime(IMPORTTIME, top=2)
    assert profile["total_ms"] == pytest.approx(34.0) and profile["strongroom_ms"] == pytest.approx(30.9)
    assert profile["top"] == [{"group": "strongroom.protocols.kmip", "ms": 26.4},
                              {"group": "strongroom.service", "ms": 4.1}]


def test_the_report_renders_the_startup_bar_and_table() -> None:
    runs = [_run(startup.EMPTY_FIRST, 0, 0.62, stop_s=0.17), _run(startup.EMPTY_SECOND, 0, 0.6),
            _run("100,000 keys", 100_000, 0.61, encrypt_s=0.615), {"target": startup.IMPORTS, "keys": 0, "rep": 0,
                                                                    "imports_s": 0.55, "error": None}]
    config = {"operations": [], "concurrency": [], "createkey_concurrency": [], "scale_keys": [],
              "scale_connections": 8, "workers": 2, "reps": 1, "duration_s": 2, "warmup_s": 0, "seed": 3,
              "quick": True, "strongroom_extra_args": ["--no-quotas"]}
    machine = {"nproc": 2, "cpu_model": "x", "mem_gib": 1.0, "kernel": "k", "os": "o", "python": "p", "wrk": "w",
               "versions": {}, "commit": "c"}
    built = [{"keys": 100_000, "db_mib": 52.0, "build_seconds": {"total": 3.8}}]
    results = {"date": "d", "elapsed_seconds": 60, "machine": machine, "config": config,
               "summary": report.summarise([], config, {}), "runs": [],
               "startup": {"check": startup.CHECK, "workers": 2, "reps_done": 1, "stores_built": built,
                           "imports": startup.parse_importtime(IMPORTTIME, top=1), "runs": runs,
                           "summary": startup.summarise(runs)}}
    text = report.render_markdown(results)
    bar = text[text.index("## The startup bar (issue 23)"):text.index("## Throughput")]
    assert bar.count("**PASS**") == 3
    section = text[text.index("## Startup (issue 23)"):text.index("## Scale")]
    assert "--workers 2 --tls-port 0 --no-quotas" in section
    assert "| 100,000 keys | 1 | – |" in section and "**0.61 (0.61)** | 0.61 (0.61) |" in section
    assert "| imports only | 1 | 0.55 (0.55) |" in section
    assert "100,000 keys in 3.8 s (52 MiB)" in section and "strongroom.protocols.kmip 26 ms" in section


def test_the_report_says_when_the_startup_phase_did_not_run() -> None:
    assert report._startup_section({"config": {}})[-1].startswith("Not run (`--startup-reps 0`")
