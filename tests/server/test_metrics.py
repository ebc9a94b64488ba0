"""The per-turn tally gives prometheus-client exactly the values per-request updates would have."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Histogram, generate_latest

from strongroom.server.metrics import _BUCKETS, _observe_all

SAMPLES = [0.0001, 0.0005, 0.0005001, 0.003, 0.01, 0.07, 0.07, 2.4, 2.5, 9.0]


def _exposition(observe) -> list[str]:
    registry = CollectorRegistry()
    histogram = Histogram("latency", "test", ["operation"], buckets=_BUCKETS, registry=registry)
    observe(histogram.labels("Encrypt"))
    return [line for line in generate_latest(registry).decode().splitlines() if not line.startswith("#")
            and "_created" not in line]


def test_one_update_per_bucket_matches_one_observe_per_sample() -> None:
    def one_by_one(child) -> None:
        for seconds in SAMPLES:
            child.observe(seconds)

    tallied = _exposition(lambda child: _observe_all(child, SAMPLES))
    assert tallied == _exposition(one_by_one)
    assert 'latency_bucket{le="0.0005",operation="Encrypt"} 2.0' in tallied  # bounds are inclusive
    assert 'latency_count{operation="Encrypt"} 10.0' in tallied


def test_an_empty_tally_changes_nothing() -> None:
    assert _exposition(lambda child: _observe_all(child, [])) == _exposition(lambda child: None)
