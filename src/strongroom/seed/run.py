"""One application of a seed file: the core, the file, the options, what changed, and errors given their line."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from strongroom.domain.context import ROOT_USER, Caller, RequestContext, principal_arn
from strongroom.errors import StrongroomError
from strongroom.seed.errors import SeedError
from strongroom.seed.model import DEFAULT_REGION, SeedFile
from strongroom.service.core import Core

T = TypeVar("T")
SEED_PROTOCOL = "seed"


@dataclass(frozen=True)
class ApplyOptions:
    """``default_account``: the account of entries the file does not place (the dev account under ``--dev``).
    ``allow_material``: whether key material in the file is accepted (``--dev`` or ``--allow-seeded-material``)."""

    default_account: str | None = None
    kms_region: str = DEFAULT_REGION
    transit_region: str = DEFAULT_REGION  # where the Vault API keeps its keys (ServerConfig.vault_region)
    kmip_region: str = DEFAULT_REGION  # where KMIP keeps its objects (ServerConfig.kmip_region)
    allow_material: bool = False


@dataclass
class ApplyReport:
    changes: list[str] = field(default_factory=list)
    # Access keys the file gave no secret: the secret made for each, to be shown once (never logged).
    generated_secrets: dict[str, str] = field(default_factory=dict, repr=False)


class SeedRun:
    def __init__(self, core: Core, seed: SeedFile, options: ApplyOptions) -> None:
        self.core = core
        self.seed = seed
        self.options = options
        self.report = ApplyReport()

    def changed(self, what: str | None) -> None:
        if what:
            self.report.changes.append(what)

    def error(self, message: str, line: int | None) -> SeedError:
        return SeedError.at(message, line, self.seed.source)

    def step(self, line: int, what: str, action: Callable[[], T]) -> T:
        """``action()``, with a refusal of the core reported as this entry's error."""
        try:
            return action()
        except StrongroomError as exc:
            raise self.error(f"{what}: {exc.message}", line) from None

    def account_of(self, line: int, account: str | None) -> str:
        chosen = account or self.seed.account or self.options.default_account
        if chosen is None:
            raise self.error("no account for this entry: give it 'account', or the file a top-level 'account'", line)
        return chosen

    def region_of(self, region: str | None, default: str) -> str:
        return region or self.seed.region or default

    @staticmethod
    def operator(account_id: str, region: str) -> RequestContext:
        """The account's root, for the services that act for a caller (Transit keys, KMIP objects)."""
        caller = Caller(account_id, SEED_PROTOCOL, principal_arn(account_id, ROOT_USER))
        return RequestContext(caller, region, protocol=SEED_PROTOCOL)
