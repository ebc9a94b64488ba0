"""The benchmark harness's pure helpers: /proc parsing, wrk output, Lua generation, profiles, statistics."""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

import psycopg
import pytest

from bench import postgres, processes, report
from bench.profile import AUDIT_RECORD, AUDIT_WRITE, CHANGE_CHECK, Frame, parse_raw, stage_of, summarise
from bench.signing import (
    REQUEST_SEPARATOR,
    SigningKey,
    cycling_script,
    lua_string,
    operation_params,
    sign,
    static_script,
    write_request_file,
)
from bench.wrk import WrkError, parse_result


def test_parse_stat_handles_spaces_and_parentheses_in_the_command_name() -> None:
    fields = ["S", "41"] + ["0"] * 9 + ["250", "50"] + ["0"] * 6 + ["12345"] + ["0"] * 20
    stat = processes.parse_stat("1234 (python (my) worker) " + " ".join(fields))
    assert (stat.pid, stat.ppid, stat.cpu_ticks, stat.start_ticks) == (1234, 41, 300, 12345)


def test_parse_stat_of_this_process() -> None:
    stat = processes.read_stat(os.getpid())
    assert stat is not None and stat.cpu_ticks >= 0


def test_status_and_box_cpu_parsing() -> None:
    status = "Name:\tpython\nVmHWM:\t  2048 kB\nVmRSS:\t  1024 kB\n"
    assert processes.parse_status_kib(status, "VmHWM") == 2048
    assert processes.parse_status_kib(status, "Pss") == 0
    tck = processes.CLK_TCK
    box = processes.parse_box_cpu(f"cpu  {tck} 0 {tck} {5 * tck} 0 0 0 {tck} 0 0")
    assert (box.busy, box.steal, box.total) == (2.0, 1.0, 8.0)


def test_descendants_walks_the_whole_tree_only() -> None:
    parents = {10: 1, 11: 10, 12: 10, 13: 11, 20: 1}
    assert sorted(processes.descendants(10, parents)) == [10, 11, 12, 13]


def test_process_tree_and_stop_by_pid(tmp_path: Path) -> None:
    child = processes.start_process("sleeper", ["sh", "-c", "sleep 30 & wait"], log_path=tmp_path / "log")
    try:
        deadline = time.monotonic() + 5
        while len(processes.process_tree(child.pid)) < 2 and time.monotonic() < deadline:
            time.sleep(0.02)
        tree = processes.process_tree(child.pid)
        assert len(tree) == 2 and processes.tree_memory(child.pid).processes == 2
    finally:
        child.stop(grace=5)
    assert not child.alive()
    grandchild = next(s for s in tree if s.pid != child.pid)
    after = processes.read_stat(grandchild.pid)
    assert after is None or after.start_ticks != grandchild.start_ticks or processes._state(grandchild.pid) == "Z"


WRK_OUT = """Running 2s test @ http://127.0.0.1:1/
  1 threads and 8 connections
BENCH-RESULT requests=2000 duration_us=2000000 bytes=100 connect=1 read=2 write=0 status=3 timeout=4 \
p50_us=250 p90_us=500 p99_us=1500 p999_us=3000 max_us=4000 mean_us=300.5
"""


def test_parse_wrk_result_line() -> None:
    result = parse_result(WRK_OUT)
    assert result.rps == 1000.0 and result.p50_ms == 0.25 and result.p99_ms == 1.5
    assert (result.errors_socket, result.errors_status, result.errors) == (7, 3, 10)
    with pytest.raises(WrkError):
        parse_result("no result here")


def test_lua_string_escapes_quotes_backslashes_and_control_characters() -> None:
    assert lua_string('a"b\\c\r\n') == '"a\\"b\\\\c\\013\\010"'


def test_signed_request_and_scripts(tmp_path: Path) -> None:
    key = SigningKey("AKIABENCHBENCHBENCH1", "x" * 40)
    request = sign("Encrypt", operation_params("Encrypt", key_id="k"), 8080, key)
    headers = dict(request.headers)
    assert headers["Host"] == "127.0.0.1:8080" and headers["X-Amz-Target"] == "TrentService.Encrypt"
    assert "SignedHeaders=content-type;host;x-amz-date;x-amz-target" in headers["Authorization"]
    raw = request.raw()
    assert raw.startswith(b"POST / HTTP/1.1\r\n") and raw.endswith(b"\r\n\r\n" + request.body)
    assert f"Content-Length: {len(request.body)}".encode() in raw
    script = static_script(request)
    assert 'wrk.method = "POST"' in script and "function done(" in script and "Authorization" in script
    path = tmp_path / "requests"
    assert write_request_file([request, request], path) == 2
    assert path.read_bytes().count(REQUEST_SEPARATOR.encode()) == 2
    assert "function request()" in cycling_script(path)


RAW_PROFILE = """\
process 1:"python -m strongroom";run_workers (strongroom/server/workers.py);wait4 (libc.so.6) 5
process 1:"p";process 2:"p";serve_worker (strongroom/server/wiring.py);run (strongroom/server/http.py);\
HttpProtocol.on_message_complete (strongroom/server/http.py);write (libc.so.6) 30
process 1:"p";process 2:"p";serve_worker (strongroom/server/wiring.py);run (strongroom/server/http.py);\
AwsKmsApp.handle (strongroom/protocols/aws/app.py);SigV4Verifier.verify (strongroom/protocols/aws/sigv4.py);\
hmac_digest (hmac.py) 20
process 1:"p";process 2:"p";serve_worker (strongroom/server/wiring.py);run (strongroom/server/http.py);\
StoreCaches.sync (strongroom/service/caches.py);fcntl64 (libc.so.6);0x7f00 (libc.so.6) 40
process 1:"p";process 2:"p";serve_worker (strongroom/server/wiring.py);run (strongroom/server/http.py);\
epoll_pwait (libc.so.6) 10
"""


def test_profile_summary_attributes_samples_to_stages() -> None:
    stacks = parse_raw(RAW_PROFILE)
    assert stage_of([Frame("run", "strongroom/server/http.py"), Frame("x", "uuid.py")]) == "request id (uuid.uuid4)"
    summary = summarise(stacks)
    assert summary["samples"] == 100 and summary["excluded_samples"] == 5
    stages = {s["stage"]: s for s in summary["stages"]}
    assert stages[CHANGE_CHECK]["percent"] == 40.0
    assert stages[CHANGE_CHECK]["in_syscalls_percent"] == 40.0
    assert stages["SigV4 verification"]["percent"] == 20.0
    assert stages["HTTP server (httptools parse, framing, socket write)"]["percent"] == 30.0
    assert any(s.startswith("event loop") for s in stages)
    assert {s["syscall"] for s in summary["syscalls"]} == {"write", "fcntl64", "epoll_pwait"}


def test_profile_splits_the_audit_trail_into_per_request_records_and_the_batch_write() -> None:
    flush = [Frame("run", "strongroom/server/http.py"), Frame("AuditTrail.flush", "strongroom/service/audit.py"),
             Frame("AuditTrail.write", "strongroom/service/audit.py")]
    built = flush + [Frame("audit_event", "strongroom/protocols/aws/audit_record.py"), Frame("dumps", "orjson")]
    hashed = flush + [Frame("SqliteStore.chain_audit", "strongroom/storage/sqlite.py"),
                      Frame("link", "strongroom/service/audit.py"), Frame("chain_hash", "strongroom/domain/audit.py")]
    inserted = flush + [Frame("SqliteStore.chain_audit", "strongroom/storage/sqlite.py"),
                        Frame("AuditBatches.append", "strongroom/storage/audit_batches.py"),
                        Frame("SqliteStore._write", "strongroom/storage/sqlite.py")]
    committed = flush + [Frame("SqliteStore.chain_audit", "strongroom/storage/sqlite.py"), Frame("pwrite64", "libc")]
    queued = [Frame("AwsKmsApp._audit", "strongroom/protocols/aws/app.py"),
              Frame("AuditTrail.record", "strongroom/service/audit.py")]
    assert [stage_of(s) for s in (built, hashed, queued)] == [AUDIT_RECORD] * 3
    assert [stage_of(s) for s in (inserted, committed)] == [AUDIT_WRITE] * 2


def _run(system: str, rep: int, rps: float, operation: str = "Encrypt", c: int = 64, **extra: object) -> dict:
    return {"system": system, "operation": operation, "connections": c, "mode": "fixed", "keys": 0, "rep": rep,
            "rps": rps, "p50_ms": 1.0, "p90_ms": 2.0, "p99_ms": 5.0, "server_cpu_s_per_1k": 0.05,
            "server_cores": 1.0, "wrk_cores": 0.3, "other_cores": 0.0, "steal_cores": 0.0, "errors": 0,
            "requests": 100, "memory": {"hwm_mib": 100.0, "pss_mib": 50.0}, "error": None, **extra}


def test_medians_and_paired_ratios() -> None:
    runs = [_run("strongroom", 0, 100), _run("strongroom", 1, 300), _run("strongroom", 2, 200),
            _run("moto", 0, 1), _run("moto", 1, 2), _run("moto", 2, 4),
            _run("bare", 0, 400), _run("bare", 1, 400), _run("bare", 2, 400, error="boom")]
    rows = report.aggregate(runs)
    sr = report.find(rows, system="strongroom")
    assert sr is not None and (sr["rps"], sr["rps_min"], sr["rps_max"]) == (200, 100, 300)
    bare = report.find(rows, system="bare")
    assert bare is not None and bare["runs"] == 2 and bare["failed_runs"] == 1
    vs_moto = report.paired_ratios(runs, {"system": "strongroom"}, {"system": "moto"})
    assert (vs_moto["median"], vs_moto["min"], vs_moto["max"], vs_moto["pairs"]) == (100, 50, 150, 3)
    vs_bare = report.paired_ratios(runs, {"system": "strongroom"}, {"system": "bare"})
    assert vs_bare["pairs"] == 2 and vs_bare["median"] == 0.5


def test_bar_lines_pass_and_fail() -> None:
    runs = [_run("strongroom", 0, 12_000), _run("moto", 0, 200), _run("bare", 0, 30_000),
            _run("strongroom", 0, 3_000, c=1, p50_ms=0.2), _run("strongroom", 0, 800, operation="CreateKey", c=8)]
    rows = report.aggregate(runs)
    ratios = report.main_ratios(runs, ["Encrypt"], [1, 64])
    lines = {line["criterion"]: line["result"] for line in report.bar_lines(
        rows, ratios, [r for r in rows if r["operation"] == "CreateKey"])}
    assert lines["Encrypt at 64 connections ≥ 10,000 req/s with p99 ≤ 10 ms"] == "PASS"
    assert lines["Encrypt at concurrency 1 ≥ 2,000 req/s with p50 < 0.5 ms"] == "PASS"
    assert lines["≥ 50× moto (Encrypt, 64 connections, paired median)"] == "PASS"
    assert lines["≥ 60% of the bare stack's throughput (Encrypt, 64 connections, paired median)"] == "FAIL"
    assert lines["CreateKey ≥ 500/s (best concurrency)"] == "PASS"


def test_postgres_cells_are_paired_with_sqlite_per_repetition() -> None:
    runs = [_run("strongroom", 0, 20_000), _run("strongroom", 1, 30_000),
            _run("strongroom-pg", 0, 10_000), _run("strongroom-pg", 1, 10_000),
            _run("strongroom", 0, 800, operation="CreateKey", c=1),
            _run("strongroom-pg", 0, 400, operation="CreateKey", c=1)]
    config = {"operations": ["Encrypt"], "concurrency": [64], "createkey_concurrency": [1], "scale_keys": [],
              "scale_connections": 8, "postgres_concurrency": [1, 64]}
    ratios = {(r["operation"], r["connections"]): r["vs_sqlite"]
              for r in report.summarise(runs, config, {})["postgres_ratios"]}
    encrypt = ratios["Encrypt", 64]
    assert (encrypt["min"], encrypt["max"], encrypt["pairs"]) == (pytest.approx(1 / 3), 0.5, 2)
    assert ratios["CreateKey", 1]["median"] == 0.5
    assert ratios["Encrypt", 1]["median"] is None  # not measured: no pair


def test_private_postgres_starts_answers_and_is_stopped_by_pid(tmp_path: Path) -> None:
    if postgres.find_bin_dir() is None:
        pytest.fail("PostgreSQL is not installed; `make test` installs it")
    root = Path(tempfile.mkdtemp(prefix="bench-pg-"))  # not under tmp_path: the postgres account must reach it
    server = postgres.start_postgres(root, tmp_path)
    assert server is not None
    try:
        with psycopg.connect(server.url) as conn:
            assert conn.execute("SHOW fsync").fetchone() == ("on",)  # PostgreSQL's own durability
        pid = server.process.pid
    finally:
        server.stop()
    assert not server.process.alive() and processes.read_stat(pid) is None and not root.exists()


def test_footprint_counts_the_database_and_reports_the_wal_apart(tmp_path: Path) -> None:
    from types import SimpleNamespace

    from bench.__main__ import footprint

    data = tmp_path / "strongroom-data"
    data.mkdir()
    for name, size in (("strongroom.db", 3000), ("strongroom.db-wal", 2 << 20), ("strongroom.db-shm", 32768)):
        (data / name).write_bytes(b"\0" * size)
    (tmp_path / "strongroom.log").write_bytes(b"x" * 500)
    runs = [SimpleNamespace(cell=SimpleNamespace(system=system), ok=ok, requests=n)
            for system, ok, n in (("strongroom", True, 10), ("strongroom", False, 99), ("moto", True, 99))]
    found = footprint(tmp_path, tmp_path, runs)  # type: ignore[arg-type]
    assert found["measured_requests"] == 10
    assert (found["store_bytes_per_request"], found["log_bytes_per_request"]) == (300, 50)
    assert found["wal_mib"] == 2.0
