"""Resource limits, with AWS KMS's defaults; every one of them configurable."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace


@dataclass(frozen=True, slots=True)
class Limits:
    keys_per_region: int = 100_000
    aliases_per_key: int = 50
    grants_per_key: int = 50_000
    key_policy_bytes: int = 32_768
    on_demand_rotations_per_key: int = 25

    def with_overrides(self, overrides: dict[str, int]) -> Limits:
        known = {f.name for f in fields(self)}
        for name, value in overrides.items():
            if name not in known:
                raise ValueError(f"unknown limit {name!r}: use one of {', '.join(sorted(known))}")
            if value < 0:
                raise ValueError(f"limit {name} must not be negative")
        return replace(self, **overrides)
