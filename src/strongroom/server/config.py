"""Server configuration: command-line options, with environment variables for what tests and CI fix."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from strongroom.domain.limits import Limits
from strongroom.domain.quotas import rates
from strongroom.trust.base import RootConfigError
from strongroom.trust.factory import RootSettings, load_settings, read_config_file

DEFAULT_DATA_DIR = Path(".strongroom")
DATABASE_FILE = "strongroom.db"
ROOT_KEY_FILE = "root.key"
CONTROL_SOCKET = "control.sock"
DEFAULT_REGION = "us-east-1"
DEFAULT_KMIP_PORT = 5696  # IANA's KMIP port: on by default in --dev only


class ConfigError(Exception):
    """The configuration cannot start a server; the message says what is missing."""


@dataclass(frozen=True)
class ServerConfig:
    data_dir: Path
    dev: bool = False
    host: str = "127.0.0.1"
    port: int = 8080
    tls_port: int = 8443
    workers: int = 1
    root_key_file: Path | None = None
    tls_cert: Path | None = None
    tls_key: Path | None = None
    scheduler_interval: float = 60.0
    audit_retention_days: float = 365.0
    audit_fsync: bool = False  # True: every batch of audit events reaches the disk before its answers leave
    access_log: bool = False  # True: one log line per request besides its audit event
    quotas_enabled: bool = True
    quota_overrides: tuple[tuple[str, float], ...] = ()  # (bucket, requests per second), on top of AWS's defaults
    limit_overrides: tuple[tuple[str, int], ...] = ()
    operator_account: str | None = None  # its root may administer every account over the admin API
    root_of_trust: str | None = None  # file | shamir | pkcs11 | kms; default: the config file's kind, else file
    config_file: Path | None = None  # TOML holding a [root_of_trust] table
    control_socket: Path | None = None  # the operator endpoint; default DATA_DIR/control.sock
    database_url: str | None = None  # postgresql://…; None: SQLite in the data directory
    vault_region: str = DEFAULT_REGION  # the region of the keys made through the Vault API
    kmip_port: int = 0  # the KMIP listener (mutual TLS); 0: none
    kmip_client_ca: Path | None = None  # the CA whose client certificates the KMIP listener accepts
    kmip_port_optional: bool = False  # the port is --dev's default: when it is taken, serve without KMIP
    kmip_region: str = DEFAULT_REGION  # the region of the objects made through KMIP
    azure_region: str = DEFAULT_REGION  # the region of the keys of Azure's Key Vault API
    gcp_region: str = DEFAULT_REGION  # the region of the keys of Google's Cloud KMS API

    @property
    def database(self) -> Path:
        return self.data_dir / DATABASE_FILE

    @property
    def control_socket_path(self) -> Path:
        return self.control_socket or self.data_dir / CONTROL_SOCKET

    def root_table(self) -> dict[str, Any]:
        try:
            return read_config_file(self.config_file) if self.config_file else {}
        except RootConfigError as exc:
            raise ConfigError(str(exc)) from None

    def root_kind(self) -> str:
        return self.root_of_trust or self.root_table().get("kind") or "file"

    def root_settings(self) -> RootSettings:
        """The configured root of trust (``--root-of-trust``, ``--config``, ``--root-key-file``)."""
        base = self.config_file.parent if self.config_file else Path(".")
        try:
            return load_settings(self.root_of_trust, self.root_table(), key_file=self.root_key_file, base_dir=base)
        except RootConfigError as exc:
            raise ConfigError(str(exc)) from None

    def check(self) -> None:
        """Outside dev mode every secret must be configured explicitly; say all that is missing."""
        if self.workers < 1:
            raise ConfigError("--workers must be at least 1")
        if not 0 <= self.kmip_port <= 65535:
            raise ConfigError("--kmip-port must be a port number (0 disables KMIP)")
        try:
            rates(dict(self.quota_overrides))
            Limits().with_overrides(dict(self.limit_overrides))
        except ValueError as exc:
            raise ConfigError(str(exc)) from None
        if self.dev:
            return
        missing = []
        if self.root_key_file is None and self.root_kind() == "file" and not self.root_table().get("key_file"):
            missing.append("a root key (--root-key-file or STRONGROOM_ROOT_KEY_FILE)")
        if self.tls_cert is None or self.tls_key is None:
            missing.append("TLS material (--tls-cert and --tls-key, or STRONGROOM_TLS_CERT and STRONGROOM_TLS_KEY)")
        if self.kmip_port and self.kmip_client_ca is None:
            missing.append("the CA of KMIP client certificates (--kmip-client-ca or STRONGROOM_KMIP_CLIENT_CA)")
        if missing:
            raise ConfigError("refusing to start outside --dev without " + " and ".join(missing)
                              + "; use --dev for a local development server")


def env_path(name: str) -> Path | None:
    value = os.environ.get(name)
    return Path(value) if value else None
