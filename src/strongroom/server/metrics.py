"""Prometheus metrics (prometheus-client), shared by every worker process of a node.

prometheus-client's multiprocess mode keeps each process's values in files under ``PROMETHEUS_MULTIPROC_DIR``,
and ``GET /metrics`` on any worker sums them. The library picks that mode when it is first imported, so the
supervisor calls ``prepare_multiprocess`` before anything imports it; this module imports it lazily.
Key counts, rotations and the seal state are read from the core when scraped.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from strongroom.service.core import Core

MULTIPROCESS_DIR = "PROMETHEUS_MULTIPROC_DIR"
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
_instruments: dict[str, Any] = {}


def prepare_multiprocess(directory: Path) -> None:
    """A fresh directory for this node's metric files; call before any worker starts."""
    directory.mkdir(parents=True, exist_ok=True)
    for leftover in directory.glob("*.db"):
        leftover.unlink()
    os.environ[MULTIPROCESS_DIR] = str(directory)


def _instrument(name: str) -> Any:
    if not _instruments:
        from prometheus_client import Counter, Histogram

        _instruments.update(
            requests=Counter("strongroom_requests", "Requests answered", ["frontend", "operation", "status"]),
            latency=Histogram("strongroom_request_duration_seconds", "Time to answer a request",
                              ["frontend", "operation"], buckets=_BUCKETS),
            audit_failures=Counter("strongroom_audit_write_failures",
                                   "Batches of audit events that could not be written"),
        )
    return _instruments[name]


def count_audit_failure() -> None:
    _instrument("audit_failures").inc()


class Metrics:
    def __init__(self, core: Core) -> None:
        from prometheus_client import REGISTRY, CollectorRegistry, multiprocess

        if os.environ.get(MULTIPROCESS_DIR):
            self._registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(self._registry)
        else:
            self._registry = REGISTRY
        self._registry.register(_CoreCollector(core))  # type: ignore[arg-type]
        self._requests = _instrument("requests")
        self._latency = _instrument("latency")

    def observe(self, frontend: str, operation: str, status: int, seconds: float) -> None:
        self._requests.labels(frontend, operation, str(status)).inc()
        self._latency.labels(frontend, operation).observe(seconds)

    def render(self) -> bytes:
        from prometheus_client import generate_latest

        return generate_latest(self._registry)


class _CoreCollector:
    """Gauges read from the store at scrape time: keys by state, key versions by rotation type, sealed."""

    def __init__(self, core: Core) -> None:
        self._core = core

    def collect(self) -> Iterator[Any]:
        from prometheus_client.core import GaugeMetricFamily

        sealed = GaugeMetricFamily("strongroom_sealed", "1 while the key store is sealed")
        sealed.add_metric([], 1.0 if self._core.sealed else 0.0)
        yield sealed
        keys = GaugeMetricFamily("strongroom_keys", "KMS keys by state", labels=["state"])
        for state, count in self._core.store.count_keys().items():
            keys.add_metric([state], count)
        yield keys
        rotations = GaugeMetricFamily("strongroom_key_rotations", "Key rotations performed, by type",
                                      labels=["type"])
        for kind, count in self._core.store.count_rotations().items():
            rotations.add_metric([kind], count)
        yield rotations
