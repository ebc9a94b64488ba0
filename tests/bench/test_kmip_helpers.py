"""The KMIP cells' pure parts: the TTLV messages and answer checks, the load generator's arithmetic, the plan and the
report. Nothing here starts a server or times anything."""

from __future__ import annotations

from array import array
from pathlib import Path

import pytest

from bench import report, ttlv
from bench.kmip import kmip_cells
from bench.kmip_load import ClientReport, merge, percentile, split_connections
from bench.pykmip import server_config
from bench.suite import Plan
from bench.ttlv import item

# libmongocrypt's golden Get request (kms-message/test/test_kms_kmip_request.c).
GOLDEN_GET = bytes.fromhex(
    "420078010000008842007701000000384200690100000020"
    "42006a02000000040000000100000000" "42006b02000000040000000000000000"
    "42000d02000000040000000100000000" "42000f0100000040" "42005c05000000040000000a00000000"
    "4200790100000028" "420094070000002037464a59766e5636586b6155435775593936624353633641756876"
    "6b50707149")
# A successful Register answer libmongocrypt accepts (kms-message/test/test_kms_kmip_response.c): uid "39".
GOLDEN_REGISTER_RESPONSE = bytes.fromhex(
    "42007b010000009042007a01000000484200690100000020"
    "42006a02000000040000000100000000" "42006b02000000040000000000000000"
    "42009209000000080000000061659715" "42000d02000000040000000100000000"
    "42000f0100000038" "42005c05000000040000000300000000" "42007f05000000040000000000000000"
    "42007c010000001042009407000000023339000000000000")

def _response(batch_children: list[bytes]) -> bytes:
    header = item(ttlv.RESPONSE_HEADER, ttlv.STRUCTURE, [
        item(ttlv.PROTOCOL_VERSION, ttlv.STRUCTURE, [item(ttlv.PROTOCOL_VERSION_MAJOR, ttlv.INTEGER, 1),
                                                  item(ttlv.PROTOCOL_VERSION_MINOR, ttlv.INTEGER, 2)]),
        item(0x420092, ttlv.DATE_TIME, 1_700_000_000), item(ttlv.BATCH_COUNT, ttlv.INTEGER, 1)])
    return item(ttlv.RESPONSE_MESSAGE, ttlv.STRUCTURE, [header, item(ttlv.BATCH_ITEM, ttlv.STRUCTURE, batch_children)])


def _success(operation: int, payload: list[bytes]) -> bytes:
    return _response([item(ttlv.OPERATION, ttlv.ENUMERATION, operation), item(ttlv.RESULT_STATUS, ttlv.ENUMERATION, 0),
                      item(ttlv.RESPONSE_PAYLOAD, ttlv.STRUCTURE, payload)])


def _failure(operation: int) -> bytes:
    return _response([item(ttlv.OPERATION, ttlv.ENUMERATION, operation), item(ttlv.RESULT_STATUS, ttlv.ENUMERATION, 1),
                      item(ttlv.RESULT_REASON, ttlv.ENUMERATION, 1),
                      item(ttlv.RESULT_MESSAGE, ttlv.TEXT_STRING, "Could not locate object: nope")])


def _get_answer(material: bytes, kind: int = ttlv.SECRET_DATA) -> bytes:
    key_value = item(ttlv.KEY_VALUE, ttlv.STRUCTURE, [item(ttlv.KEY_MATERIAL, ttlv.BYTE_STRING, material)])
    return _success(ttlv.OP_GET, [item(0x420057, ttlv.ENUMERATION, 7),
                                  item(ttlv.UNIQUE_IDENTIFIER, ttlv.TEXT_STRING, "1"),
                                  item(kind, ttlv.STRUCTURE, [item(ttlv.KEY_BLOCK, ttlv.STRUCTURE, [key_value])])])


def _encrypt_answer(iv: bytes) -> bytes:
    return _success(ttlv.OP_ENCRYPT, [item(ttlv.UNIQUE_IDENTIFIER, ttlv.TEXT_STRING, "2"),
                                      item(ttlv.DATA, ttlv.BYTE_STRING, bytes(48)),
                                      item(ttlv.IV_COUNTER_NONCE, ttlv.BYTE_STRING, iv)])


def test_get_request_is_libmongocrypts_golden_bytes() -> None:
    assert ttlv.get_request("7FJYvnV6XkaUCWuY96bCSc6AuhvkPpqI") == GOLDEN_GET
    assert ttlv.message_length(GOLDEN_GET[:8]) == len(GOLDEN_GET)


def test_encrypt_request_has_libmongocrypts_shape() -> None:
    message = ttlv.encrypt_request("42", bytes(range(32)))
    assert len(message) % 8 == 0 and ttlv.message_length(message) == len(message)
    (top,) = ttlv.parse(message)
    assert top.tag == ttlv.REQUEST_MESSAGE
    version = top.path(ttlv.REQUEST_HEADER, ttlv.PROTOCOL_VERSION)
    assert version is not None and [int.from_bytes(c.value[:4], "big") for c in version.value] == [1, 2]  # type: ignore
    batch = top.child(ttlv.BATCH_ITEM)
    assert batch is not None
    assert batch.child(ttlv.OPERATION).value[:4] == (0x1F).to_bytes(4, "big")  # type: ignore[union-attr]
    payload = batch.child(ttlv.REQUEST_PAYLOAD)
    assert payload is not None
    assert payload.child(ttlv.UNIQUE_IDENTIFIER).value == b"42"  # type: ignore[union-attr]
    assert payload.child(ttlv.DATA).value == bytes(range(32))  # type: ignore[union-attr]
    params = payload.child(ttlv.CRYPTOGRAPHIC_PARAMETERS)
    assert params is not None
    fields = {c.tag: int.from_bytes(c.value, "big") for c in params.value}  # type: ignore[union-attr]
    assert fields == {ttlv.BLOCK_CIPHER_MODE: ttlv.CBC, ttlv.PADDING_METHOD: ttlv.PKCS5,
                      ttlv.CRYPTOGRAPHIC_ALGORITHM: ttlv.AES, ttlv.RANDOM_IV: 1}


def test_item_pads_to_eight_bytes_and_rejects_unknown_types() -> None:
    assert item(0x420055, ttlv.TEXT_STRING, "abc") == bytes.fromhex("4200550700000003") + b"abc" + bytes(5)
    assert item(0x4200C5, ttlv.BOOLEAN, True) == bytes.fromhex("4200c506000000080000000000000001")
    with pytest.raises(ValueError):
        item(0x420001, 0x04, 1)


def test_result_status_walks_to_the_batch_items_status() -> None:
    assert ttlv.result_status(GOLDEN_REGISTER_RESPONSE) == ttlv.SUCCESS
    assert ttlv.result_status(_failure(ttlv.OP_GET)) == 1
    assert ttlv.result_status(_get_answer(bytes(96))) == ttlv.SUCCESS
    assert ttlv.result_status(GOLDEN_GET) == -1  # a request, not a response
    assert ttlv.result_status(b"\x42\x00") == -1
    assert ttlv.result_status(_response([item(ttlv.OPERATION, ttlv.ENUMERATION, 10)])) == -1  # no status at all


def test_result_status_is_not_fooled_by_status_bytes_inside_a_value() -> None:
    lookalike = item(ttlv.RESULT_STATUS, ttlv.ENUMERATION, 0)
    message = _response([item(ttlv.OPERATION, ttlv.ENUMERATION, 10), item(ttlv.RESULT_STATUS, ttlv.ENUMERATION, 1),
                         item(ttlv.RESPONSE_PAYLOAD, ttlv.STRUCTURE, [item(ttlv.DATA, ttlv.BYTE_STRING, lookalike)])])
    assert ttlv.result_status(message) == 1


def test_check_reply_accepts_what_libmongocrypt_reads() -> None:
    assert ttlv.check_reply("KmipGet", _get_answer(bytes(96))) is None
    assert ttlv.check_reply("KmipGet", _get_answer(bytes(32), ttlv.SYMMETRIC_KEY)) is None
    assert ttlv.check_reply("KmipEncrypt", _encrypt_answer(bytes(16))) is None


def test_check_reply_explains_what_is_wrong() -> None:
    failed = ttlv.check_reply("KmipGet", _failure(ttlv.OP_GET))
    assert failed is not None and "ResultStatus 1" in failed and "Could not locate object" in failed
    assert "IVCounterNonce" in (ttlv.check_reply("KmipEncrypt", _encrypt_answer(bytes(12))) or "")
    assert "KeyMaterial" in (ttlv.check_reply("KmipGet", _success(ttlv.OP_GET, [])) or "")
    assert "unreadable" in (ttlv.check_reply("KmipGet", GOLDEN_REGISTER_RESPONSE[:-8]) or "")
    assert "not a ResponseMessage" in (ttlv.check_reply("KmipGet", GOLDEN_GET) or "")


def test_connections_are_split_evenly_over_the_client_processes() -> None:
    assert split_connections(1, 2) == [1]
    assert split_connections(8, 2) == [4, 4]
    assert split_connections(64, 3) == [22, 21, 21]
    assert split_connections(5, 8) == [1] * 5


def test_percentile_is_nearest_rank() -> None:
    ordered = list(range(1, 101))
    assert [percentile(ordered, q) for q in (0.5, 0.9, 0.99, 0.999, 1.0)] == [50, 90, 99, 100, 100]
    assert percentile([], 0.5) == 0 and percentile([7], 0.99) == 7


def test_merge_pools_the_client_processes() -> None:
    def client(latencies_ms: list[int], cpu: float, **extra: object) -> ClientReport:
        return ClientReport(requests=len(latencies_ms), latencies_ns=array("q", [v * 1_000_000 for v in latencies_ms])
                            .tobytes(), cpu_s=cpu, window_s=2.0, bytes_read=100 * len(latencies_ms), **extra)  # type: ignore[arg-type]

    result = merge([client([1, 2, 3], 0.25, tls="TLSv1.3 X", errors_status=1, error_samples=["a"]),
                    client([4, 5], 0.5, errors_socket=2, error_samples=["b", "c", "d"])], duration_s=2.0)
    assert (result.requests, result.rps, result.p50_ms, result.max_ms, result.mean_ms) == (5, 2.5, 3.0, 5.0, 3.0)
    assert (result.errors_status, result.errors_socket, result.errors, result.wrk_cpu_s) == (1, 2, 3, 0.75)
    assert result.tls == "TLSv1.3 X" and result.error_samples == ("a", "b", "c") and result.client_processes == 2
    row = result.as_dict()
    assert row["errors"] == 3 and row["error_samples"] == ["a", "b", "c"] and row["bytes_read"] == 500


def _plan(**extra: object) -> Plan:
    base = {"operations": ["Encrypt"], "concurrency": [1], "reps": 3, "duration_s": 3, "warmup_s": 0,
            "createkey_concurrency": [], "createkey_reps": 3, "scale_keys": [], "scale_reps": 3,
            "scale_connections": 8, "spread_keys": 10, "seed": 3, "deadline": 0.0, "profile_seconds": 0}
    return Plan(**{**base, **extra})  # type: ignore[arg-type]


def test_plan_counts_the_kmip_cells_and_their_time() -> None:
    off = _plan()
    assert off.kmip_cells_per_rep() == 0 and off.kmip_seconds() == 0.0
    on = _plan(kmip_concurrency=[1, 8, 64], kmip_systems=["strongroom", "pykmip"], kmip_reps=2)
    assert on.kmip_cells_per_rep() == 24  # 2 systems x 2 operations x 2 modes x 3 concurrencies
    assert on.estimate() - off.estimate() == pytest.approx(on.kmip_seconds())
    assert 150 < on.kmip_seconds() < 240  # the README's "about 3 minutes"
    capped = _plan(kmip_concurrency=[1, 8, 64], kmip_systems=["strongroom", "pykmip"], kmip_reps=2,
                   kmip_cap={"pykmip": 8})
    assert capped.kmip_cells_per_rep() == 20


def test_kmip_cells_leave_out_a_capped_system() -> None:
    targets = {"strongroom": object(), "pykmip": object()}
    cells = kmip_cells(targets, [8, 64], {"pykmip": 8})  # type: ignore[arg-type]
    named = {(c.system, c.operation, c.mode, c.connections) for c, _, _ in cells}
    assert len(cells) == 12 and ("pykmip", "KmipGet", "held", 64) not in named
    assert ("strongroom", "KmipEncrypt", "per-request", 64) in named


def test_pykmip_config_is_loopback_tls12_with_client_certificates(tmp_path: Path) -> None:
    text = server_config(15696, tmp_path / "s.pem", tmp_path / "s.key", tmp_path / "ca.pem", tmp_path / "p",
                         tmp_path / "db")
    lines = set(text.splitlines())
    assert {"[server]", "hostname=127.0.0.1", "port=15696", "auth_suite=TLS1.2", "enable_tls_client_auth=True",
            f"database_path={tmp_path / 'db'}"} <= lines


def _kmip_run(system: str, rep: int, rps: float, operation: str = "KmipGet", mode: str = "held",
              c: int = 8) -> dict:
    return {"system": system, "operation": operation, "connections": c, "mode": mode, "keys": 0, "rep": rep,
            "rps": rps, "p50_ms": 1.0, "p90_ms": 2.0, "p99_ms": 5.0, "server_cpu_s_per_1k": 0.3,
            "server_cores": 1.0, "wrk_cores": 0.3, "other_cores": 0.0, "steal_cores": 0.0, "errors": 0,
            "requests": 100, "memory": {"hwm_mib": 100.0, "pss_mib": 50.0}, "error": None}


def test_kmip_ratios_pair_per_repetition_and_mode() -> None:
    runs = [_kmip_run("strongroom", 0, 4000), _kmip_run("strongroom", 1, 6000),
            _kmip_run("pykmip", 0, 400), _kmip_run("pykmip", 1, 500),
            _kmip_run("strongroom", 0, 500, mode="per-request"), _kmip_run("pykmip", 0, 250, mode="per-request")]
    ratios = {(r["operation"], r["mode"], r["connections"]): r["vs_pykmip"] for r in report.kmip_ratios(runs, [8])}
    held = ratios["KmipGet", "held", 8]
    assert (held["median"], held["min"], held["max"], held["pairs"]) == (11.0, 10.0, 12.0, 2)
    assert ratios["KmipGet", "per-request", 8]["median"] == 2.0
    assert ratios["KmipEncrypt", "held", 8]["pairs"] == 0


def test_the_report_renders_the_kmip_section_apart_from_the_other_cells() -> None:
    runs = [_kmip_run("strongroom", 0, 4000), _kmip_run("pykmip", 0, 400)]
    config = {"operations": [], "concurrency": [], "createkey_concurrency": [], "scale_keys": [],
              "scale_connections": 8, "kmip_concurrency": [8], "kmip_systems": ["strongroom", "pykmip"],
              "kmip_reps": 1, "kmip_clients": 2, "kmip_cap": {}, "workers": 2, "reps": 1, "duration_s": 3,
              "warmup_s": 0, "seed": 3, "quick": True}
    machine = {"nproc": 2, "cpu_model": "x", "mem_gib": 1.0, "kernel": "k", "os": "o", "python": "p", "wrk": "w",
               "versions": {"pykmip": "0.11.0"}, "commit": "c"}
    results = {"date": "d", "elapsed_seconds": 60, "machine": machine, "config": config,
               "summary": report.summarise(runs, config, {}), "kmip": {"tls": {"pykmip": "TLSv1.2 X"}}, "runs": runs}
    text = report.render_markdown(results)
    kmip = text[text.index("## KMIP: Strongroom and PyKMIP"):text.index("## Every cell")]
    assert "| Get | held | 8 | 400 | 1.00 | 5.00 | 4,000 | 1.00 | 5.00 | 10.0× | 0 |" in kmip
    assert "client cores" in kmip and "TLSv1.2 X" in text
    assert "KmipGet" not in text[text.index("## Every cell"):]
    assert report.kmip_lines(results["summary"])[0] == "Get held c=8: Strongroom 4,000 req/s, PyKMIP 400 req/s: 10.0×"
