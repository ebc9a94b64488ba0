"""Prometheus metrics (prometheus-client), shared by every worker process of a node.

prometheus-client's multiprocess mode keeps each process's values in files under ``PROMETHEUS_MULTIPROC_DIR``,
and ``GET /metrics`` on any worker sums them. The library picks that mode when it is first imported, so the
supervisor calls ``prepare_multiprocess`` before anything imports it; this module imports it lazily.
Key counts, rotations and the seal state are read from the core when scraped.

Each worker tallies its requests in memory and hands the tally to prometheus-client once per event-loop turn
(``flush``): every multiprocess value update costs a lock, a getpid and a file write, which per request showed
as a tenth of the hot path.
"""

from __future__ import annotations

import os
from bisect import bisect_left
from collections import Counter, defaultdict
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
        self._answered: Counter[tuple[str, str, int]] = Counter()
        self._durations: defaultdict[tuple[str, str], list[float]] = defaultdict(list)

    def observe(self, frontend: str, operation: str, status: int, seconds: float) -> None:
        """Tallied until the next ``flush``."""
        self._answered[frontend, operation, status] += 1
        self._durations[frontend, operation].append(seconds)

    def flush(self) -> None:
        """Add the tally to the shared values: one update per label set and bucket, not per request."""
        answered, self._answered = self._answered, Counter()
        durations, self._durations = self._durations, defaultdict(list)
        for (frontend, operation, status), count in answered.items():
            self._requests.labels(frontend, operation, str(status)).inc(count)
        for labels, seconds in durations.items():
            _observe_all(self._latency.labels(*labels), seconds)

    def render(self) -> bytes:
        from prometheus_client import generate_latest

        self.flush()
        return generate_latest(self._registry)


def _observe_all(histogram: Any, samples: list[float]) -> None:
    """``histogram.observe`` for each sample, done as one update per bucket. prometheus-client has no public
    call for that, so this writes the child's bucket and sum values the way its ``observe`` does (pinned
    below 1.0 in pyproject; tests/server/test_metrics.py checks the exposition against known samples)."""
    counts = [0] * len(histogram._upper_bounds)
    for seconds in samples:
        counts[bisect_left(histogram._upper_bounds, seconds)] += 1
    histogram._sum.inc(sum(samples))
    for bucket, count in zip(histogram._buckets, counts, strict=True):
        if count:
            bucket.inc(count)


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
        for state, count in self._core.key_counts().items():
            keys.add_metric([state], count)
        yield keys
        rotations = GaugeMetricFamily("strongroom_key_rotations", "Key rotations performed, by type",
                                      labels=["type"])
        for kind, count in self._core.rotation_counts().items():
            rotations.add_metric([kind], count)
        yield rotations
