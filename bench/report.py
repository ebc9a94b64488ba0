"""Aggregation (medians over repetitions, paired ratios) and the RESULTS.md / results.json writers.

Everything here works on plain dicts (the ``runs`` of results.json), so a report can be rebuilt from a saved
results.json: ``python -m bench --report-from bench/results.json``.
"""

from __future__ import annotations

import json
import statistics
from collections import defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from bench import cloud
from bench.kmip_load import MODES as KMIP_MODES
from bench.startup import IMPORTS
from bench.ttlv import KMIP_OPERATIONS

Run = dict[str, Any]

# The bar from issue 3 (reported, never asserted).
BAR_ENCRYPT_RPS_C64 = 10_000
BAR_ENCRYPT_P99_MS_C64 = 10.0
BAR_ENCRYPT_RPS_C1 = 2_000
BAR_ENCRYPT_P50_MS_C1 = 0.5
BAR_MOTO_RATIO = 50.0
BAR_BARE_FRACTION = 0.60
BAR_CREATEKEY_RPS = 500
# The Transit bar: Strongroom (its AWS API, and its Transit) against OpenBao's Transit, paired medians.
BAR_AWS_VS_OPENBAO_C1 = 1.0  # with p50 and p99 below OpenBao's
BAR_AWS_VS_OPENBAO = 2.5  # at 8 and 64 connections
BAR_AWS_P99_MS_C64 = 10.0
BAR_TRANSIT_VS_OPENBAO_C64 = 2.0
BAR_TRANSIT_VS_OPENBAO_C1 = 1.0
TRANSIT_PAIRS = (("TransitEncrypt", "Encrypt"), ("TransitDecrypt", "Decrypt"))  # Transit op, AWS equivalent
NOISY_OTHER_CORES = 0.5  # a run during which others used this much of the 2 cores is marked noisy


# --- statistics -----------------------------------------------------------------------------------


def median(values: Iterable[float]) -> float | None:
    data = [v for v in values if v is not None]
    return statistics.median(data) if data else None


def spread(values: Iterable[float]) -> tuple[float | None, float | None, float | None]:
    data = [v for v in values if v is not None]
    if not data:
        return None, None, None
    return statistics.median(data), min(data), max(data)


def group_key(run: Run) -> tuple[str, str, int, str, int]:
    return run["system"], run["operation"], run["connections"], run.get("mode", "fixed"), run.get("keys", 0)


def aggregate(runs: Sequence[Run]) -> list[dict[str, Any]]:
    """One row per cell: medians over the repetitions (and min-max of req/s), errors summed."""
    groups: dict[tuple[str, str, int, str, int], list[Run]] = defaultdict(list)
    for run in runs:
        groups[group_key(run)].append(run)
    rows = []
    for key, members in groups.items():
        ok = [r for r in members if not r.get("error")]
        rps, rps_min, rps_max = spread(r["rps"] for r in ok)
        rows.append({
            "system": key[0], "operation": key[1], "connections": key[2], "mode": key[3], "keys": key[4],
            "runs": len(ok), "failed_runs": len(members) - len(ok),
            "rps": rps, "rps_min": rps_min, "rps_max": rps_max,
            "p50_ms": median(r["p50_ms"] for r in ok), "p90_ms": median(r["p90_ms"] for r in ok),
            "p99_ms": median(r["p99_ms"] for r in ok),
            "cpu_s_per_1k": median(r["server_cpu_s_per_1k"] for r in ok),
            "server_cores": median(r["server_cores"] for r in ok),
            "wrk_cores": median(r["wrk_cores"] for r in ok),
            "other_cores": median(r["other_cores"] for r in ok),
            "steal_cores": median(r["steal_cores"] for r in ok),
            "peak_mem_mib": max((r["memory"]["hwm_mib"] for r in ok if r.get("memory")), default=None),
            "pss_mib": max((r["memory"]["pss_mib"] for r in ok if r.get("memory")), default=None),
            "errors": sum(int(r.get("errors", 0)) for r in ok),
            "noisy_runs": sum(1 for r in ok if (r.get("other_cores") or 0) > NOISY_OTHER_CORES),
            "requests": sum(int(r.get("requests", 0)) for r in ok),
            "error_messages": sorted({r["error"][:200] for r in members if r.get("error")}),
        })
    rows.sort(key=lambda row: (row["keys"], row["mode"], row["operation"], row["system"], row["connections"]))
    return rows


def find(rows: Sequence[dict[str, Any]], **match: Any) -> dict[str, Any] | None:
    for row in rows:
        if all(row.get(k) == v for k, v in match.items()):
            return row
    return None


def paired_ratios(runs: Sequence[Run], numerator: dict[str, Any], denominator: dict[str, Any],
                  metric: str = "rps") -> dict[str, Any]:
    """metric(numerator) / metric(denominator) within each repetition; the median (min-max) over repetitions."""
    def by_rep(match: dict[str, Any]) -> dict[int, float]:
        return {r["rep"]: r[metric] for r in runs
                if not r.get("error") and all(r.get(k) == v for k, v in match.items()) and r.get(metric)}
    top, bottom = by_rep(numerator), by_rep(denominator)
    ratios = [top[rep] / bottom[rep] for rep in sorted(top.keys() & bottom.keys())]
    mid, low, high = spread(ratios)
    return {"median": mid, "min": low, "max": high, "pairs": len(ratios)}


def main_ratios(runs: Sequence[Run], operations: Sequence[str], concurrency: Sequence[int]) -> list[dict[str, Any]]:
    out = []
    for operation in operations:
        for c in concurrency:
            sr = {"system": "strongroom", "operation": operation, "connections": c}
            out.append({
                "operation": operation, "connections": c,
                "vs_moto": paired_ratios(runs, sr, {"system": "moto", "operation": operation, "connections": c}),
                "vs_bare": paired_ratios(runs, sr, {"system": "bare", "operation": "Encrypt", "connections": c}),
            })
    return out


def transit_ratios(runs: Sequence[Run], concurrency: Sequence[int]) -> list[dict[str, Any]]:
    """Per Transit operation and concurrency: Strongroom's Transit and its AWS equivalent over OpenBao's Transit."""
    out = []
    for operation, aws in TRANSIT_PAIRS:
        for c in concurrency:
            theirs = {"system": "openbao", "operation": operation, "connections": c}
            out.append({"operation": operation, "aws_operation": aws, "connections": c,
                        "transit_vs_openbao": paired_ratios(runs, {**theirs, "system": "strongroom"}, theirs),
                        "aws_vs_openbao": paired_ratios(
                            runs, {"system": "strongroom", "operation": aws, "connections": c}, theirs)})
    return out


def transit_bar_lines(rows: Sequence[dict[str, Any]], transit: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The Transit bar, one line per criterion over both operations (n/a when any of its cells is missing)."""
    lines: list[dict[str, Any]] = []

    def check(c: int, api: str, minimum: float, *, latency_below: bool = False,
              p99_max: float | None = None) -> tuple[str, bool | None]:
        parts, verdicts = [], []
        for entry in (t for t in transit if t["connections"] == c):
            mine_op = entry["aws_operation"] if api == "aws" else entry["operation"]
            label = mine_op if api == "aws" else _transit_label(mine_op)
            ratio = entry[f"{api}_vs_openbao"]["median"]
            on = {"connections": c, "mode": "fixed"}
            mine = find(rows, system="strongroom", operation=mine_op, **on)
            theirs = find(rows, system="openbao", operation=entry["operation"], **on)
            if ratio is None or not mine or not theirs or mine["p99_ms"] is None or theirs["p99_ms"] is None:
                parts.append(f"{label} not measured")
                verdicts.append(None)
                continue
            ok = ratio >= minimum
            text = f"{label} {ratio:,.2f}×"
            if latency_below:
                text += (f" (p50 {mine['p50_ms']:.2f} vs {theirs['p50_ms']:.2f} ms, "
                         f"p99 {mine['p99_ms']:.2f} vs {theirs['p99_ms']:.2f} ms)")
                ok = ok and mine["p50_ms"] < theirs["p50_ms"] and mine["p99_ms"] < theirs["p99_ms"]
            if p99_max is not None:
                text += f", p99 {mine['p99_ms']:.2f} ms"
                ok = ok and mine["p99_ms"] <= p99_max
            parts.append(text)
            verdicts.append(ok)
        if not verdicts or None in verdicts:
            return "; ".join(parts) or "not measured", None
        return "; ".join(parts), all(verdicts)

    def add(criterion: str, found: tuple[str, bool | None]) -> None:
        lines.append({"criterion": criterion, "measured": found[0],
                      "result": "n/a" if found[1] is None else ("PASS" if found[1] else "FAIL")})

    add(f"Strongroom AWS Encrypt and Decrypt at concurrency 1 ≥ {BAR_AWS_VS_OPENBAO_C1:g}× OpenBao Transit, "
        "p50 and p99 below OpenBao's", check(1, "aws", BAR_AWS_VS_OPENBAO_C1, latency_below=True))
    add(f"Strongroom AWS Encrypt and Decrypt at 8 connections ≥ {BAR_AWS_VS_OPENBAO:g}× OpenBao Transit",
        check(8, "aws", BAR_AWS_VS_OPENBAO))
    add(f"Strongroom AWS Encrypt and Decrypt at 64 connections ≥ {BAR_AWS_VS_OPENBAO:g}× OpenBao Transit, "
        f"p99 ≤ {BAR_AWS_P99_MS_C64:g} ms", check(64, "aws", BAR_AWS_VS_OPENBAO, p99_max=BAR_AWS_P99_MS_C64))
    add(f"Strongroom Transit encrypt and decrypt at 64 connections ≥ {BAR_TRANSIT_VS_OPENBAO_C64:g}× OpenBao",
        check(64, "transit", BAR_TRANSIT_VS_OPENBAO_C64))
    add(f"Strongroom Transit encrypt and decrypt at concurrency 1 ≥ {BAR_TRANSIT_VS_OPENBAO_C1:g}× OpenBao",
        check(1, "transit", BAR_TRANSIT_VS_OPENBAO_C1))
    return lines


def cloud_ratios(runs: Sequence[Run], concurrency: Sequence[int],
                 token_concurrency: Sequence[int]) -> list[dict[str, Any]]:
    """Per cloud operation and concurrency: its req/s over Strongroom's AWS Decrypt at the same concurrency,
    paired per repetition (the token endpoints too, at their own concurrencies)."""
    out = []
    for operation in cloud.CLOUD_OPERATIONS:
        levels = concurrency if operation in cloud.DATA_OPERATIONS else token_concurrency
        for c in levels:
            aws = {"system": "strongroom", "operation": "Decrypt", "connections": c, "mode": "fixed"}
            out.append({"operation": operation, "connections": c, "token": operation in cloud.TOKEN_OPERATIONS,
                        "vs_aws_decrypt": paired_ratios(runs, {**aws, "operation": operation}, aws)})
    return out


def cloud_lines(summary: dict[str, Any]) -> list[str]:
    """One line per cloud cell, for the console."""
    lines = []
    for e in summary.get("cloud_ratios") or []:
        on = {"system": "strongroom", "connections": e["connections"], "mode": "fixed"}
        row, aws = find(summary["cells"], operation=e["operation"], **on), find(summary["cells"], operation="Decrypt",
                                                                                **on)
        p50, p99 = (_n(row["p50_ms"], ".2f"), _n(row["p99_ms"], ".2f")) if row else ("–", "–")
        lines.append(f"{cloud.LABELS[e['operation']]} c={e['connections']}: {_n(row['rps'] if row else None)} req/s "
                     f"(p50 {p50} ms, p99 {p99} ms); AWS Decrypt {_n(aws['rps'] if aws else None)} req/s: "
                     f"{_ratio(e['vs_aws_decrypt'], '.2f')}")
    return lines


def kmip_ratios(runs: Sequence[Run], concurrency: Sequence[int]) -> list[dict[str, Any]]:
    """Per KMIP operation, connection mode and concurrency: Strongroom's req/s over PyKMIP's, paired per repetition."""
    out = []
    for operation in KMIP_OPERATIONS:
        for mode in KMIP_MODES:
            for c in concurrency:
                ours = {"system": "strongroom", "operation": operation, "connections": c, "mode": mode}
                out.append({"operation": operation, "mode": mode, "connections": c,
                            "vs_pykmip": paired_ratios(runs, ours, {**ours, "system": "pykmip"})})
    return out


def kmip_lines(summary: dict[str, Any]) -> list[str]:
    """One line per KMIP cell pair, for the console."""
    lines = []
    for e in summary.get("kmip_ratios") or []:
        on = {"operation": e["operation"], "connections": e["connections"], "mode": e["mode"]}
        ours, theirs = find(summary["cells"], system="strongroom", **on), find(summary["cells"], system="pykmip", **on)
        lines.append(f"{_kmip_label(e['operation'])} {e['mode']} c={e['connections']}: Strongroom "
                     f"{_n(ours['rps'] if ours else None)} req/s, PyKMIP {_n(theirs['rps'] if theirs else None)} "
                     f"req/s: {_ratio(e['vs_pykmip'])}")
    return lines


def _kmip_label(operation: str) -> str:
    """"KmipGet" -> "Get"."""
    return operation.removeprefix("Kmip")


def _transit_label(operation: str) -> str:
    """"TransitEncrypt" -> "Transit encrypt"."""
    return "Transit " + operation.removeprefix("Transit").lower()


def scale_flatness(runs: Sequence[Run], sizes: Sequence[int], connections: int) -> list[dict[str, Any]]:
    """Per mode and size, paired against the smallest store in the same repetition."""
    out = []
    if not sizes:
        return out
    base = min(sizes)
    for mode in ("hot", "spread"):
        for keys in sizes:
            me = {"system": "strongroom", "operation": "Encrypt", "mode": mode, "keys": keys,
                  "connections": connections}
            ref = {**me, "keys": base}
            out.append({"mode": mode, "keys": keys, "base_keys": base,
                        "p50_ratio": paired_ratios(runs, me, ref, "p50_ms"),
                        "p99_ratio": paired_ratios(runs, me, ref, "p99_ms"),
                        "rps_ratio": paired_ratios(runs, me, ref, "rps")})
    return out


def bar_lines(rows: Sequence[dict[str, Any]], ratios: Sequence[dict[str, Any]],
              createkey_rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    lines: list[dict[str, Any]] = []

    def add(criterion: str, measured: str, ok: bool | None) -> None:
        lines.append({"criterion": criterion, "measured": measured,
                      "result": "n/a" if ok is None else ("PASS" if ok else "FAIL")})

    def cell(c: int) -> dict[str, Any] | None:
        return find(rows, system="strongroom", operation="Encrypt", connections=c, mode="fixed")

    c64, c1 = cell(64), cell(1)
    if c64 and c64["rps"] is not None:
        add(f"Encrypt at 64 connections ≥ {BAR_ENCRYPT_RPS_C64:,} req/s with p99 ≤ {BAR_ENCRYPT_P99_MS_C64:g} ms",
            f"{c64['rps']:,.0f} req/s, p99 {c64['p99_ms']:.2f} ms",
            c64["rps"] >= BAR_ENCRYPT_RPS_C64 and c64["p99_ms"] <= BAR_ENCRYPT_P99_MS_C64)
    else:
        add("Encrypt at 64 connections", "not measured", None)
    if c1 and c1["rps"] is not None:
        add(f"Encrypt at concurrency 1 ≥ {BAR_ENCRYPT_RPS_C1:,} req/s with p50 < {BAR_ENCRYPT_P50_MS_C1:g} ms",
            f"{c1['rps']:,.0f} req/s, p50 {c1['p50_ms']:.3f} ms",
            c1["rps"] >= BAR_ENCRYPT_RPS_C1 and c1["p50_ms"] < BAR_ENCRYPT_P50_MS_C1)
    else:
        add("Encrypt at concurrency 1", "not measured", None)

    def ratio(operation: str, c: int, which: str) -> float | None:
        for r in ratios:
            if r["operation"] == operation and r["connections"] == c:
                return r[which]["median"]
        return None

    enc64 = ratio("Encrypt", 64, "vs_moto")
    add(f"≥ {BAR_MOTO_RATIO:g}× moto (Encrypt, 64 connections, paired median)",
        "not measured" if enc64 is None else f"{enc64:,.1f}×", None if enc64 is None else enc64 >= BAR_MOTO_RATIO)
    all_moto = [(r["operation"], r["connections"], r["vs_moto"]["median"]) for r in ratios
                if r["vs_moto"]["median"] is not None]
    if all_moto:
        worst = min(all_moto, key=lambda t: t[2])
        add(f"≥ {BAR_MOTO_RATIO:g}× moto for every operation and concurrency",
            f"lowest {worst[2]:,.1f}× ({worst[0]}, c={worst[1]})", worst[2] >= BAR_MOTO_RATIO)
    bare64 = ratio("Encrypt", 64, "vs_bare")
    add(f"≥ {BAR_BARE_FRACTION:.0%} of the bare stack's throughput (Encrypt, 64 connections, paired median)",
        "not measured" if bare64 is None else f"{bare64:.0%}", None if bare64 is None else bare64 >= BAR_BARE_FRACTION)
    all_bare = [(r["operation"], r["connections"], r["vs_bare"]["median"]) for r in ratios
                if r["vs_bare"]["median"] is not None and r["operation"] == "Encrypt"]
    if all_bare:
        worst = min(all_bare, key=lambda t: t[2])
        add(f"≥ {BAR_BARE_FRACTION:.0%} of the bare stack, Encrypt at every concurrency",
            f"lowest {worst[2]:.0%} (c={worst[1]})", worst[2] >= BAR_BARE_FRACTION)
    ck = [row for row in createkey_rows if row["system"] == "strongroom" and row["rps"] is not None]
    if ck:
        best = max(ck, key=lambda row: row["rps"])
        add(f"CreateKey ≥ {BAR_CREATEKEY_RPS}/s (best concurrency)", f"{best['rps']:,.0f}/s at c={best['connections']}",
            best["rps"] >= BAR_CREATEKEY_RPS)
        one = find(ck, connections=1)
        if one:
            add(f"CreateKey ≥ {BAR_CREATEKEY_RPS}/s at concurrency 1", f"{one['rps']:,.0f}/s",
                one["rps"] >= BAR_CREATEKEY_RPS)
    else:
        add(f"CreateKey ≥ {BAR_CREATEKEY_RPS}/s", "not measured", None)
    return lines


def noise_summary(runs: Sequence[Run], rows: Sequence[dict[str, Any]],
                  calibration: dict[str, list[float]]) -> dict[str, Any]:
    ok = [r for r in runs if not r.get("error")]
    other = sorted(r["other_cores"] for r in ok if r.get("other_cores") is not None)
    spreads = [row["rps_max"] / row["rps_min"] for row in rows if row["runs"] > 1 and row["rps_min"]]
    return {
        "calibration": "; ".join(f"{phase} {', '.join(f'{v:.0f}' for v in values)}"
                                 for phase, values in calibration.items() if values) or "n/a",
        "calibration_ms": calibration,
        "other_cores_median": median(other),
        "other_cores_p90": other[int(0.9 * (len(other) - 1))] if other else None,
        "steal_median": median(r["steal_cores"] for r in ok),
        "spread_median": median(spreads),
        "spread_worst": max(spreads, default=None),
    }


def scale_verdict(flatness: Sequence[dict[str, Any]], cells: Sequence[dict[str, Any]] = (),
                  tolerance: float = 0.25) -> str:
    """One sentence per mode: the largest store's p50 against the smallest's, paired."""
    parts = []
    for mode in ("hot", "spread"):
        rows = [f for f in flatness if f["mode"] == mode and f["keys"] != f["base_keys"]]
        if not rows:
            continue
        largest = max(rows, key=lambda f: f["keys"])
        p50, p99 = largest["p50_ratio"]["median"], largest["p99_ratio"]["median"]
        if p50 is None:
            continue
        flat = "flat" if p50 <= 1 + tolerance else "NOT flat"
        cpu = ""
        big = find(cells, keys=largest["keys"], mode=mode)
        hot = find(cells, keys=largest["keys"], mode="hot")
        if mode == "spread" and big and hot and big["cpu_s_per_1k"] and hot["cpu_s_per_1k"]:
            cpu = (f"; there a cache miss costs {1000 * big['cpu_s_per_1k']:.0f} µs of server CPU per request "
                   f"against {1000 * hot['cpu_s_per_1k']:.0f} µs for the cached key")
        parts.append(f"{mode}: p50 at {largest['keys']:,} keys is {p50:.2f}× the {largest['base_keys']:,}-key "
                     f"store's (p99 {_n(p99, '.2f')}×) — {flat}{cpu}")
    if not parts:
        return ""
    return ("Latency verdict (paired per repetition; \"flat\" = p50 within +" + f"{tolerance:.0%}" + " of the "
            "smallest store): " + "; ".join(parts) + ".")


def summarise(runs: Sequence[Run], config: dict[str, Any], calibration: dict[str, list[float]]) -> dict[str, Any]:
    main_runs = [r for r in runs if r.get("keys", 0) == 0]
    scale_runs = [r for r in runs if r.get("keys", 0) > 0]
    cells = aggregate(main_runs)
    ratios = main_ratios(main_runs, config["operations"], config["concurrency"])
    createkey_ratios = [{"connections": c, "ratio": paired_ratios(
        main_runs, {"system": "strongroom", "operation": "CreateKey", "connections": c},
        {"system": "moto", "operation": "CreateKey", "connections": c})} for c in config["createkey_concurrency"]]
    postgres_ratios = [{"operation": operation, "connections": c, "vs_sqlite": paired_ratios(
        main_runs, {"system": "strongroom-pg", "operation": operation, "connections": c},
        {"system": "strongroom", "operation": operation, "connections": c})}
        for operation in ("Encrypt", "CreateKey") for c in config.get("postgres_concurrency", [])]
    transit = transit_ratios(main_runs, config.get("transit_concurrency", []))
    kmip = kmip_ratios(main_runs, config.get("kmip_concurrency", [])) if config.get("kmip_systems") else []
    clouds = cloud_ratios(main_runs, config.get("cloud_concurrency", []), config.get("cloud_token_concurrency", []))
    scale_cells = [row for row in aggregate(scale_runs)]
    flatness = scale_flatness(scale_runs, config["scale_keys"], config["scale_connections"])
    bar = bar_lines(cells, ratios, [row for row in cells if row["operation"] == "CreateKey"])
    return {
        "cells": cells, "ratios": ratios, "createkey_ratios": createkey_ratios, "postgres_ratios": postgres_ratios,
        "transit_ratios": transit, "kmip_ratios": kmip, "cloud_ratios": clouds, "bar": bar,
        "transit_bar": transit_bar_lines(cells, transit) if transit else [],
        "scale_cells": scale_cells, "scale_flatness": flatness, "scale_verdict": scale_verdict(flatness, scale_cells),
        "noise": noise_summary(runs, cells + scale_cells, calibration),
    }


# --- formatting ----------------------------------------------------------------------------------


def _n(value: float | None, fmt: str = ",.0f") -> str:
    return "–" if value is None else format(value, fmt)


def _ratio(r: dict[str, Any], fmt: str = ",.1f", suffix: str = "×") -> str:
    if r["median"] is None:
        return "–"
    if r["pairs"] > 1:
        return f"{r['median']:{fmt}}{suffix} ({r['min']:{fmt}}–{r['max']:{fmt}})"
    return f"{r['median']:{fmt}}{suffix}"


def _table(header: Sequence[str], rows: Iterable[Sequence[str]], align: str = "") -> list[str]:
    align = align or "l" + "r" * (len(header) - 1)
    marks = ["---" if a == "l" else "---:" for a in align]
    return ["| " + " | ".join(header) + " |", "|" + "|".join(marks) + "|",
            *("| " + " | ".join(row) + " |" for row in rows)]


def _cell_rows(rows: Sequence[dict[str, Any]]) -> list[list[str]]:
    out = []
    for row in rows:
        out.append([
            row["system"], row["operation"], str(row["connections"]),
            f"{_n(row['rps'])} ({_n(row['rps_min'])}–{_n(row['rps_max'])})",
            _n(row["p50_ms"], ".2f"), _n(row["p99_ms"], ".2f"), _n(row["cpu_s_per_1k"], ".3f"),
            _n(row["server_cores"], ".2f"), _n(row["wrk_cores"], ".2f"), _n(row["other_cores"], ".2f"),
            _n(row["peak_mem_mib"], ".0f"), _n(row["pss_mib"], ".0f"),
            f"{row['errors']:,}" + (f" (+{row['failed_runs']} failed runs)" if row["failed_runs"] else ""),
            f"{row.get('noisy_runs', 0)}/{row['runs']}",
        ])
    return out


_CELL_HEADER = ["system", "operation", "conc", "req/s median (min–max)", "p50 ms", "p99 ms", "CPU s / 1k req",
                "server cores", "wrk cores", "other cores", "peak mem MiB", "PSS MiB", "errors", "noisy runs"]


def render_markdown(results: dict[str, Any]) -> str:
    s = results["summary"]
    machine, config = results["machine"], results["config"]
    out: list[str] = ["# Strongroom benchmark results", ""]
    quick = " (**quick smoke run**: not for quoting)" if config.get("quick") else ""
    out += [f"Run on **{results['date']}**{quick}; the whole run took {results['elapsed_seconds'] / 60:.1f} min. "
            f"Generated by `python -m bench` (see [README.md](README.md) for the method and every column).", ""]
    out += ["## Machine", ""]
    out += _table(["what", "value"], [
        ["CPUs (nproc)", str(machine["nproc"])], ["CPU model", machine["cpu_model"]],
        ["memory", f"{machine['mem_gib']:.1f} GiB"], ["kernel", machine["kernel"]], ["OS", machine["os"]],
        ["Python", machine["python"]], ["load generator", machine["wrk"]],
        ["versions", ", ".join(f"{k} {v}" for k, v in machine["versions"].items())],
        ["commit", machine.get("commit", "?")],
    ], "ll")
    extra = " ".join(config.get("strongroom_extra_args") or [])
    lifted = (" The extra options lift the AWS-like request-rate quotas and the key-count limit, which would "
              "otherwise cap the measurement (10,000 symmetric requests/s, CreateKey 5/s, 100,000 keys)."
              if extra else "")
    out += ["", "Systems under load, all at once on 127.0.0.1, idle when not measured:", "",
            f"* **strongroom**: `strongroom server --dev --workers {config['workers']}{' ' + extra if extra else ''}` "
            f"(SQLite store, real SigV4 verification, AES-256-GCM, everything else at its defaults).{lifted}",
            "* **moto**: `moto_server -H 127.0.0.1` (Werkzeug; no signature checks; answers `Connection: "
            f"{s.get('moto_connection', 'close')}`, so every moto request pays a TCP connect — its behaviour, reported "
            "as is).",
            *([f"* **strongroom-pg**: the same server with `--database postgresql://…`, on a private PostgreSQL "
               f"{machine['versions'].get('postgresql', '')} cluster made by `initdb` for the run (its defaults: "
               "fsync and synchronous commit on), for Encrypt and CreateKey at "
               f"{', '.join(map(str, config['postgres_concurrency']))} connections."]
              if config.get("postgres_concurrency") else []),
            f"* **bare**: Strongroom's HTTP stack (`strongroom.server.http`, {config['workers']} forked workers, "
            "SO_REUSEPORT) with a handler that parses the JSON body and answers a fixed Encrypt-shaped reply: the "
            "ceiling for any handler on this stack.",
            *_transit_systems(machine, config, results.get("connection_headers") or {}),
            *_cloud_systems(config),
            *_kmip_systems(machine, config, (results.get("kmip") or {}).get("tls") or {}), ""]
    vault = " and Vault Transit requests with an `X-Vault-Token`" if config.get("transit_systems") else ""
    trimmed = (" Cells last 3 s, not 4 s as before the Transit cells were added: that keeps the full run inside its "
               "time budget with all three repetitions." if config["duration_s"] == 3 and not config.get("quick")
               else "")
    out += [f"Load: wrk, 1 thread, replaying SigV4-signed requests (re-signed per cell){vault}; {config['reps']} "
            f"repetitions × {config['duration_s']} s per cell, warm-up {config['warmup_s']} s per cell "
            "(plus one 1 s pass over every system and operation before the first repetition), cells shuffled "
            f"in every repetition (seed {config['seed']}). Numbers are medians over repetitions; ratios are "
            f"paired within a repetition, then the median is taken.{trimmed}", ""]

    out += ["## The bar (issue 3)", ""]
    out += _table(["criterion", "measured", "result"],
                  [[b["criterion"], b["measured"], f"**{b['result']}**"] for b in s["bar"]], "llr")

    if s.get("transit_bar"):
        out += ["", "## The Transit bar (against OpenBao)", ""]
        out += _table(["criterion", "measured", "result"],
                      [[b["criterion"], b["measured"], f"**{b['result']}**"] for b in s["transit_bar"]], "llr")

    startup_summary = (results.get("startup") or {}).get("summary") or {}
    if startup_summary.get("bar"):
        out += ["", "## The startup bar (issue 23)", ""]
        out += _table(["criterion", "measured", "result"],
                      [[b["criterion"], b["measured"], f"**{b['result']}**"] for b in startup_summary["bar"]], "llr")

    out += ["", "## Throughput by operation and concurrency", "",
            "req/s, median over repetitions; ratios paired per repetition, median (min–max). "
            "The bare stack does the same (op-independent) work for every operation, so its row is repeated.", ""]
    head_rows = []
    for r in s["ratios"]:
        def rps(system: str, operation: str, c: int = r["connections"]) -> str:
            row = find(s["cells"], system=system, operation=operation, connections=c, mode="fixed")
            return _n(row["rps"]) if row else "–"
        sr_row = find(s["cells"], system="strongroom", operation=r["operation"], connections=r["connections"],
                      mode="fixed")
        p50 = _n(sr_row["p50_ms"], ".2f") if sr_row else "–"
        p99 = _n(sr_row["p99_ms"], ".2f") if sr_row else "–"
        head_rows.append([r["operation"], str(r["connections"]), rps("strongroom", r["operation"]), p50, p99,
                          rps("moto", r["operation"]), rps("bare", "Encrypt"),
                          _ratio(r["vs_moto"]), _ratio(r["vs_bare"], ".0%", "")])
    out += _table(["operation", "conc", "Strongroom req/s", "p50 ms", "p99 ms", "moto req/s", "bare req/s",
                   "Strongroom / moto", "Strongroom / bare"], head_rows)

    out += _transit_section(s)
    out += _cloud_section(results)
    out += _kmip_section(results)

    out += ["", "## Every cell", ""]
    main_rows = [row for row in s["cells"]
                 if row["operation"] != "CreateKey" and row["operation"] not in KMIP_OPERATIONS]
    out += _table(_CELL_HEADER, _cell_rows(main_rows))

    fp = results.get("footprint")
    if fp and fp.get("measured_requests"):
        phases = "main, CreateKey and KMIP" if s.get("kmip_ratios") else "main and CreateKey"
        out += ["", f"Disk: over the {phases} phases Strongroom served {fp['measured_requests']:,} measured "
                f"requests (plus warm-ups, preflights and the profiled run); its store (keys and audit trail) grew "
                f"to {fp['store_mib']:,.0f} MiB and its log to {fp['log_mib']:,.0f} MiB: about "
                f"{_n(fp['store_bytes_per_request'])} B of store and {_n(fp['log_bytes_per_request'])} B of log per "
                f"request (upper bounds). Its WAL (bounded, never shrunk) stood at {fp['wal_mib']:,.0f} MiB."]
    out += ["", "## CreateKey (a durable write per request)", "",
            "A fixed replayed request: each one creates a new key, a durable write in Strongroom's SQLite store. "
            "Measured in its own phase after the other cells, interleaved between the two systems.", ""]
    ck_rows = [row for row in s["cells"] if row["operation"] == "CreateKey"]
    out += _table(_CELL_HEADER, _cell_rows(ck_rows))
    if s.get("createkey_ratios"):
        out += ["", "Strongroom / moto, paired: " + ", ".join(
            f"c={r['connections']}: {_ratio(r['ratio'])}" for r in s["createkey_ratios"]) + "."]
    if s.get("moto_createkey_note"):
        out += ["", s["moto_createkey_note"]]

    if s.get("postgres_ratios"):
        out += ["", "## Strongroom on PostgreSQL", "",
                "The same server and requests with its store (keys and audit trail) in PostgreSQL instead of "
                "SQLite; its cells are shuffled in with the others (Encrypt in the main phase, CreateKey in the "
                "CreateKey phase). Its CPU counts PostgreSQL's processes too. Ratios are paired per repetition "
                "against Strongroom on SQLite.", ""]
        rows = []
        for r in s["postgres_ratios"]:
            on = {"operation": r["operation"], "connections": r["connections"], "mode": "fixed"}
            pg, lite = find(s["cells"], system="strongroom-pg", **on), find(s["cells"], system="strongroom", **on)
            rows.append([r["operation"], str(r["connections"]), _n(pg["rps"] if pg else None),
                         _n(pg["p50_ms"] if pg else None, ".2f"), _n(pg["p99_ms"] if pg else None, ".2f"),
                         _n(pg["cpu_s_per_1k"] if pg else None, ".3f"), _n(lite["rps"] if lite else None),
                         _n(lite["p50_ms"] if lite else None, ".2f"), _ratio(r["vs_sqlite"], ".2f")])
        out += _table(["operation", "conc", "PostgreSQL req/s", "p50 ms", "p99 ms", "CPU s / 1k req",
                       "SQLite req/s", "SQLite p50 ms", "PostgreSQL / SQLite"], rows)

    out += _startup_section(results)

    out += ["", "## Scale: Encrypt with 100 to 1,000,000 keys in the store", ""]
    sc = results.get("scale") or {}
    if not sc.get("stores"):
        out += ["Not run (`--scale-keys` empty)."]
    else:
        out += [f"One Strongroom server ({config['workers']} workers) per store, all running at once; Encrypt at "
                f"{config['scale_connections']} connections; cells of all sizes interleaved per repetition "
                f"({sc.get('reps_done', 0)} repetitions). `hot`: one key replayed (cached path). `spread`: one "
                "request per key over a uniform sample of the store's keys, cycled in shuffled order — at "
                "1,000,000 keys almost every request misses the worker caches (SQLite read + unwrap); the smaller "
                "stores are fully cached after the first pass.", ""]
        store_rows = []
        for st in sc["stores"]:
            b = st["build_seconds"]
            idle = sc.get("idle_memory", {}).get(str(st["keys"]))
            final = sc.get("final_memory", {}).get(str(st["keys"]))
            store_rows.append([f"{st['keys']:,}", f"{b['total']:.1f}", f"{b['material']:.1f}",
                               f"{b['insert']:.1f}", f"{b['commit']:.1f}", f"{st['db_mib']:.0f}",
                               _n(idle["pss_mib"] if idle else None), _n(final["pss_mib"] if final else None),
                               _n(final["hwm_mib"] if final else None)])
        out += _table(["keys", "build s (total)", "wraps s", "insert s", "commit s", "DB MiB",
                       "server PSS MiB idle", "PSS MiB after load", "peak mem MiB (ΣVmHWM)"], store_rows)
        out += [""]
        scale_rows = []
        for row in s["scale_cells"]:
            flat = next((f for f in s["scale_flatness"] if f["mode"] == row["mode"] and f["keys"] == row["keys"]), None)
            distinct = sc.get("spread_keys", {}).get(str(row["keys"]), 1) if row["mode"] == "spread" else 1
            scale_rows.append([f"{row['keys']:,}", row["mode"], f"{distinct:,}",
                               f"{_n(row['rps'])} ({_n(row['rps_min'])}–{_n(row['rps_max'])})",
                               _n(row["p50_ms"], ".2f"), _n(row["p99_ms"], ".2f"),
                               _ratio(flat["p50_ratio"], ".2f") if flat else "–",
                               _ratio(flat["p99_ratio"], ".2f") if flat else "–",
                               _n(row["cpu_s_per_1k"], ".3f"), _n(row["peak_mem_mib"]), f"{row['errors']:,}"])
        out += _table(["keys", "mode", "distinct keys", "req/s median (min–max)", "p50 ms", "p99 ms",
                       "p50 vs smallest (paired)", "p99 vs smallest (paired)", "CPU s / 1k req", "peak mem MiB",
                       "errors"], scale_rows)
        if s.get("scale_verdict"):
            out += ["", s["scale_verdict"]]

    out += ["", "## Where Encrypt's time goes (py-spy)", ""]
    out += _profile_section(results.get("profile") or {}, "a fixed Encrypt request (one key, cached)")
    if results.get("profile_notes"):
        out += ["", *results["profile_notes"]]
    spread_profile = (results.get("scale") or {}).get("profile")
    if spread_profile:
        out += ["", f"### The cache-miss path: Encrypt spread over {spread_profile.get('keys', 0):,} keys", ""]
        out += _profile_section(spread_profile, "one request per key, uniformly sampled (nearly every request "
                                                "misses the worker caches)")

    out += ["", "## Machine noise", ""]
    noise = s.get("noise", {})
    out += [f"Speed calibration (a fixed pure-Python loop, ms, lower is faster) before each repetition: "
            f"{noise.get('calibration', 'n/a')}. Median CPU used by neither the server nor wrk (other tenants, "
            f"unattributed softirq) during cells: {_n(noise.get('other_cores_median'), '.2f')} cores "
            f"(p90 {_n(noise.get('other_cores_p90'), '.2f')}); steal median {_n(noise.get('steal_median'), '.2f')} "
            "cores. Per-cell spread of req/s (max/min over repetitions): "
            f"median {_n(noise.get('spread_median'), '.2f')}×, "
            f"worst {_n(noise.get('spread_worst'), '.2f')}×."]
    gate = results.get("quiet_gate")
    if gate:
        out += ["", f"Quiet gate: before each cell the harness waited while other processes used more than "
                f"{results['config'].get('quiet_threshold')} cores (at most 10 s per cell, "
                f"{results['config'].get('quiet_budget_s')} s in all): it waited {gate['waited_s']} s over "
                f"{gate['waits']} cells. A run is counted as noisy when others used more than "
                f"{NOISY_OTHER_CORES} cores during it."]
    if results.get("skipped"):
        out += ["", "**Skipped for the time budget:** " + "; ".join(results["skipped"]) + "."]
    out += ["", "Machine-readable: [results.json](results.json) (every run, every aggregate)."]
    return "\n".join(out) + "\n"


def _median_max_cell(row: dict[str, Any], metric: str, fmt: str = ".2f") -> str:
    """"0.62 (0.70)": median (max) of a startup metric."""
    if row.get(metric) is None:
        return "–"
    return f"{row[metric]:{fmt}} ({row[metric + '_max']:{fmt}})"


def _startup_section(results: dict[str, Any]) -> list[str]:
    """Time from the spawn until the server serves, per data directory; memory after the start."""
    st = results.get("startup") or {}
    out = ["", "## Startup (issue 23)", ""]
    rows = (st.get("summary") or {}).get("rows") or []
    if not rows:
        return out + ["Not run (`--startup-reps 0`, or results from before the startup phase)."]
    config = results["config"]
    extra = " ".join(config.get("strongroom_extra_args") or [])
    out += [f"Each start spawns `strongroom server --dev --data-dir DIR --workers {st.get('workers', '?')} "
            f"--tls-port 0{' ' + extra if extra else ''}` (the command line of every benchmarked Strongroom) and "
            f"polls every 5 ms, in order: {st.get('check', '?')} (ListKeys with `Limit` 1, signed before the "
            "spawn: the cheapest signed API call, and one that an empty store answers). That last time is the "
            "bar's figure. On a store with keys a signed Encrypt with one stored key follows (no worker has it "
            "cached: store read and unwrap). The server is then stopped by PID before the next start. "
            f"{st.get('reps_done', 0)} repetition(s), targets shuffled per repetition, the quiet gate before each "
            f"start (at most 3 s; {st.get('quiet_wait_s', 0)} s in all); the empty directory is "
            "made afresh for every repetition (its first start makes the root key, TLS material and dev "
            "account; the second start reuses them). Seconds from the spawn, median (max) over the starts; the "
            "unsealed columns come from the server log's time stamps (supervisor: imports, dev files, store opened, "
            "ports bound, service model loaded, root key read; every worker: forked, its store opened, seal state "
            f"received). \"{IMPORTS}\" is "
            "`python -c 'import strongroom.cli.main'` from spawn to exit: the interpreter and the modules the "
            "CLI loads before doing anything. Memory is summed over the server's tree (supervisor and workers) "
            "once it served.", ""]
    table = []
    for row in rows:
        if row["target"] == IMPORTS:
            table.append([row["target"], str(row["starts"]), _median_max_cell(row, "imports_s"), "–", "–", "–",
                          "–", "–", "–", "–", "–", "–", "–"])
            continue
        table.append([row["target"], f"{row['starts']}" + (f" (+{row['failed']} failed)" if row["failed"] else ""),
                      "–", _median_max_cell(row, "supervisor_unsealed_s"), _median_max_cell(row, "workers_unsealed_s"),
                      _median_max_cell(row, "health_s"), _median_max_cell(row, "ready_s"),
                      f"**{_median_max_cell(row, 'api_s')}**", _median_max_cell(row, "encrypt_s"),
                      _median_max_cell(row, "cpu_s"), _n(row.get("rss_mib")), _n(row.get("pss_mib")),
                      _median_max_cell(row, "stop_s")])
    out += _table(["data directory", "starts", "exits s", "supervisor unsealed s", "workers unsealed s",
                   "/health 200 s", "/ready 200 s", "ListKeys 200 s", "first Encrypt 200 s", "CPU s (tree)",
                   "RSS MiB (ΣVmRSS)", "PSS MiB", "stop s"], table)
    imports = st.get("imports") or {}
    if imports.get("top"):
        out += ["", f"Where the imports' time goes (`python -X importtime -c 'import strongroom.cli.main'`, once, self "
                f"time summed per package; importtime itself slows them): {imports['total_ms']:,.0f} ms in all, "
                f"{imports['strongroom_ms']:,.0f} ms of it in Strongroom's own modules. Largest: "
                + ", ".join(f"{t['group']} {t['ms']:,.0f} ms" for t in imports["top"]) + "."]
    built = st.get("stores_built") or []
    if built:
        out += ["", "Stores built for this phase only, through the storage layer as the scale phase builds its own: "
                + "; ".join(f"{b['keys']:,} keys in {b['build_seconds']['total']:.1f} s ({b['db_mib']:.0f} MiB)"
                            for b in built) + "."]
    for row in rows:
        for error in row.get("errors") or []:
            out += ["", f"{row['target']}: failed start: `{error[:200]}`"]
    return out


def _transit_systems(machine: dict[str, Any], config: dict[str, Any], headers: dict[str, Any]) -> list[str]:
    """The system-list bullets of the Transit cells."""
    systems = config.get("transit_systems") or []
    out = []
    if "openbao" in systems:
        connection = headers.get("openbao") or "?"
        out.append(f"* **openbao**: `bao server -dev` (OpenBao {machine['versions'].get('openbao', '?')}: in-memory "
                   "storage, no audit device — its fastest setup; Go, all cores), Transit engine at `transit/`, "
                   f"key `bench` of type `aes256-gcm96`; answers `Connection: {connection}`.")
    if "strongroom" in systems:
        out.append("* **strongroom, Transit**: the same **strongroom** server through its Vault API: the same "
                   "mount and key, its dev root token (`STRONGROOM_DEV_VAULT_TOKEN`), its durable store and audit "
                   "trail as for the AWS cells.")
    return out


def _transit_section(s: dict[str, Any]) -> list[str]:
    """Strongroom's Transit and its AWS API against OpenBao's Transit, per operation and concurrency."""
    entries = s.get("transit_ratios") or []
    if not any(e["transit_vs_openbao"]["pairs"] or e["aws_vs_openbao"]["pairs"] for e in entries):
        return []
    out = ["", "## Transit: Strongroom and OpenBao", "",
           "Transit encrypt (32 B plaintext) and decrypt (a ciphertext made by the same server), one fixed request "
           "replayed, shuffled in with the other cells of each repetition. The AWS columns are Strongroom's "
           "Encrypt and Decrypt cells of the same repetitions, over OpenBao's Transit operation of the same "
           "meaning. req/s and latencies are medians over repetitions; ratios are paired per repetition, "
           "median (min–max).", ""]
    rows = []
    for e in entries:
        on = {"connections": e["connections"], "mode": "fixed"}
        bao = find(s["cells"], system="openbao", operation=e["operation"], **on)
        transit = find(s["cells"], system="strongroom", operation=e["operation"], **on)
        aws = find(s["cells"], system="strongroom", operation=e["aws_operation"], **on)
        rows.append([_transit_label(e["operation"]), str(e["connections"]), *_rps_p50_p99(bao),
                     *_rps_p50_p99(transit), _ratio(e["transit_vs_openbao"], ".2f"), e["aws_operation"],
                     *_rps_p50_p99(aws), _ratio(e["aws_vs_openbao"], ".2f")])
    out += _table(["operation", "conc", "OpenBao req/s", "p50 ms", "p99 ms", "Strongroom Transit req/s", "p50 ms",
                   "p99 ms", "Strongroom Transit / OpenBao", "AWS op", "Strongroom AWS req/s", "p50 ms", "p99 ms",
                   "Strongroom AWS / OpenBao"], rows, "lrrrrrrrrlrrrr")
    return out


def _cloud_systems(config: dict[str, Any]) -> list[str]:
    """The system-list bullet of the cloud cells."""
    if not (config.get("cloud_concurrency") or config.get("cloud_token_concurrency")):
        return []
    return ["* **strongroom, Azure and Google**: the same **strongroom** server through its Azure Key Vault and "
            "Google Cloud KMS dialects (plain HTTP port), with an app registration and a service account of the "
            "dev account made by `strongroom azure apps create` and `strongroom gcp service-accounts create`."]


def _cloud_section(results: dict[str, Any]) -> list[str]:
    """Azure unwrapkey and Google decrypt against AWS Decrypt on the same server; the token endpoints."""
    s, config = results["summary"], results["config"]
    entries = s.get("cloud_ratios") or []
    error = (results.get("cloud") or {}).get("error")
    if not entries and not error:
        return []
    out = ["", "## Azure Key Vault and Google Cloud KMS", ""]
    if error:
        return out + [f"Not measured: the set-up failed (`{error[:300]}`)."]
    out += [f"Strongroom's Azure `unwrapkey` (RSA-OAEP-256 with an RSA-2048 key, a 96-byte value wrapped once by "
            f"`wrapkey`; `POST /keys/{cloud.AZURE_KEY}/{{version}}/unwrapkey?api-version={cloud.AZURE_API_VERSION}`) "
            "and Google `:decrypt` (an ENCRYPT_DECRYPT key, a ciphertext of 32 bytes made by `:encrypt`; "
            f"`POST {cloud.gcp_key_path()}:decrypt`), each one fixed request with `Authorization: Bearer <token>` "
            "(a token fetched from the dialect's token endpoint just before each cell), shuffled in with the other "
            "cells of each repetition. The ratio is over Strongroom's AWS Decrypt (32 B, AES-256-GCM) at the same "
            "concurrency in the same repetition, median (min–max); req/s and latencies are medians over "
            "repetitions.", ""]
    rows = []
    for e in (e for e in entries if not e["token"]):
        on = {"system": "strongroom", "connections": e["connections"], "mode": "fixed"}
        mine, aws = find(s["cells"], operation=e["operation"], **on), find(s["cells"], operation="Decrypt", **on)
        rows.append([cloud.LABELS[e["operation"]], str(e["connections"]), *_rps_p50_p99(mine),
                     _n(mine["cpu_s_per_1k"] if mine else None, ".3f"), *_rps_p50_p99(aws),
                     _ratio(e["vs_aws_decrypt"], ".2f"), _errors(mine)])
    if rows:
        out += _table(["operation", "conc", "req/s", "p50 ms", "p99 ms", "CPU s / 1k req", "AWS Decrypt req/s",
                       "p50 ms", "p99 ms", "req/s / AWS Decrypt", "errors"], rows)
    tokens = [e for e in entries if e["token"]]
    if tokens:
        out += ["", "The token step, measured apart: Azure's `POST /{tenant}/oauth2/v2.0/token` (client-credentials "
                "grant with the app's client id and secret, scope `https://vault.azure.net/.default`) and Google's "
                "`POST /token` (JWT-bearer grant). The Google assertion (RS256, signed with the service account's "
                "key, an hour's lifetime) is signed once per cell and replayed: the server accepts it within its "
                "lifetime and issues a new token for every request. The ratio is over AWS Decrypt at the same "
                "concurrency, paired per repetition, when that cell ran.", ""]
        rows = []
        for e in tokens:
            on = {"system": "strongroom", "connections": e["connections"], "mode": "fixed"}
            mine = find(s["cells"], operation=e["operation"], **on)
            rows.append([cloud.LABELS[e["operation"]], str(e["connections"]), *_rps_p50_p99(mine),
                         _n(mine["cpu_s_per_1k"] if mine else None, ".3f"), _ratio(e["vs_aws_decrypt"], ".2f"),
                         _errors(mine)])
        out += _table(["token endpoint", "conc", "req/s", "p50 ms", "p99 ms", "CPU s / 1k req",
                       "req/s / AWS Decrypt", "errors"], rows)
    extra = config.get("cloud_aws_concurrency") or []
    if extra:
        out += ["", "AWS Decrypt at " + ", ".join(map(str, extra)) + " connections was measured for this pairing "
                "only (those cells are not among the main operations)."]
    return out


def _errors(row: dict[str, Any] | None) -> str:
    if row is None:
        return "–"
    return f"{row['errors']:,}" + (f" (+{row['failed_runs']} failed runs)" if row["failed_runs"] else "")


def _kmip_systems(machine: dict[str, Any], config: dict[str, Any], tls: dict[str, str]) -> list[str]:
    """The system-list bullets of the KMIP cells."""
    systems = config.get("kmip_systems") or []
    out = []
    if "strongroom" in systems:
        out.append("* **strongroom, KMIP**: the same **strongroom** server's KMIP listener (`--kmip-port` on a free "
                   "loopback port, in every worker with SO_REUSEPORT; mutual TLS with the dev CA's server "
                   f"certificate; negotiated `{tls.get('strongroom') or '?'}`), the dev KMIP client certificate.")
    if "pykmip" in systems:
        out.append(f"* **pykmip**: the PyKMIP server ({machine['versions'].get('pykmip', '?')}; `pykmip-server`, "
                   "one Python process, a thread per connection, SQLite database made fresh for the run, "
                   "`auth_suite=TLS1.2`, client certificates required, WARNING logging), serving the same "
                   f"server certificate and trusting the same CA (negotiated `{tls.get('pykmip') or '?'}`).")
    return out


def _kmip_section(results: dict[str, Any]) -> list[str]:
    """Strongroom's KMIP against the PyKMIP server, per operation, connection mode and concurrency."""
    s, config = results["summary"], results["config"]
    entries = s.get("kmip_ratios") or []
    if not entries:
        return []
    clients = config.get("kmip_clients")
    out = ["", "## KMIP: Strongroom and PyKMIP", "",
           "libmongocrypt's KMIP messages, each built once and replayed by the harness's load generator "
           "(`bench/kmip_load.py`) over mutual TLS: **Get** of an active 96-byte SecretData (KMIP 1.0) and "
           "**Encrypt** of 32 bytes with an active AES-256 key (AES-CBC, PKCS5 padding, server-chosen IV; KMIP 1.2). "
           "**held**: each connection is opened before the cell and carries every request; **per-request**: a new "
           "TCP connection and full TLS handshake for every request, closed after its answer (what libmongocrypt "
           "does; latency counts the connect and the handshake). Closed loop, every answer checked for "
           f"ResultStatus Success. {config.get('kmip_reps', '?')} repetition(s) × {config['duration_s']} s per "
           f"cell, shuffled per repetition; req/s and latencies are medians over repetitions; the ratio is paired "
           f"per repetition, median (min–max). The load generator ({clients} client processes at most, one per "
           "connection at most) shares the 2 cores with the server: see its \"client cores\" below.", ""]
    cap = (config.get("kmip_cap") or {}).get("pykmip")
    if cap:
        out += [f"PyKMIP was measured only up to {cap} connections (`--pykmip-max-connections`); its cells above "
                "are missing (–).", ""]
    rows = []
    for e in entries:
        on = {"operation": e["operation"], "connections": e["connections"], "mode": e["mode"]}
        theirs, ours = find(s["cells"], system="pykmip", **on), find(s["cells"], system="strongroom", **on)
        errors = sum(row["errors"] + row["failed_runs"] for row in (theirs, ours) if row)
        rows.append([_kmip_label(e["operation"]), e["mode"], str(e["connections"]), *_rps_p50_p99(theirs),
                     *_rps_p50_p99(ours), _ratio(e["vs_pykmip"], ".1f"), f"{errors:,}"])
    out += _table(["operation", "connections", "conc", "PyKMIP req/s", "p50 ms", "p99 ms", "Strongroom req/s",
                   "p50 ms", "p99 ms", "Strongroom / PyKMIP", "errors (both)"], rows, "llrrrrrrrrr")
    out += ["", "Every KMIP cell (CPU is the server's process tree; \"client cores\" is the load generator's own CPU "
            "over the measured window):", ""]
    cells = [row for row in s["cells"] if row["operation"] in KMIP_OPERATIONS]
    cells.sort(key=lambda row: (row["operation"], row["mode"], row["connections"], row["system"]))
    header = [*_CELL_HEADER[:2], "connections", *_CELL_HEADER[2:]]
    header[header.index("wrk cores")] = "client cores"
    out += _table(header, [[*r[:2], row["mode"], *r[2:]] for row, r in zip(cells, _cell_rows(cells), strict=True)],
                  "lll" + "r" * (len(header) - 3))
    return out


def _rps_p50_p99(row: dict[str, Any] | None) -> list[str]:
    if row is None:
        return ["–", "–", "–"]
    return [_n(row["rps"]), _n(row["p50_ms"], ".2f"), _n(row["p99_ms"], ".2f")]


def _profile_section(prof: dict[str, Any], load: str) -> list[str]:
    if not prof or prof.get("error"):
        return [f"No profile: {prof.get('error', 'not run')}."]
    out = [f"`py-spy record --subprocesses{' --native' if prof.get('native') else ''}` over every Strongroom "
           f"worker for {prof['seconds']} s of {load} at {prof['connections']} connections "
           f"({prof['samples']:,} worker samples; the load ran at {_n(prof.get('rps_while_sampled'))} req/s while "
           "sampled: a separate, unmeasured run, slowed by the sampling). Each sample is attributed to the "
           "innermost frame that names a stage of the request path; time in the kernel shows as the syscall it "
           "sits in, so blocking (fdatasync, lock waits) shows as well as CPU.", ""]
    if prof.get("worker_us_per_request"):
        out += [f"Worker time per request while sampled: {prof['worker_us_per_request']:.0f} µs (samples ÷ "
                "rate ÷ requests); the µs column splits it by stage. It counts blocked time too, so it can exceed "
                "the CPU per request of the measured cells.", ""]
    out += _table(["stage", "% of samples", "of which in syscalls %", "≈ µs per request"],
                  [[st["stage"], f"{st['percent']:.1f}", f"{st['in_syscalls_percent']:.1f}",
                    _n(st.get("us_per_request"), ".1f")] for st in prof["stages"]])
    out += ["", "Top leaf functions (self time):", ""]
    out += _table(["function", "%"], [[t["function"].replace("|", "\\|"), f"{t['percent']:.1f}"]
                                      for t in prof["top_leaves"]])
    if prof.get("syscalls"):
        out += ["", f"Syscalls: {prof['syscall_percent']:.0f} % of samples — " + ", ".join(
            f"{x['syscall']} {x['percent']:.1f} %" for x in prof["syscalls"]) + "."]
    return out


def write(results: dict[str, Any], out_dir: Path) -> tuple[Path, Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    json_path, md_path = out_dir / "results.json", out_dir / "RESULTS.md"
    json_path.write_text(json.dumps(results, indent=1, sort_keys=False, default=str) + "\n")
    md_path.write_text(render_markdown(results))
    return md_path, json_path
