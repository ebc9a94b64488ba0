"""``strongroom server``: start the KMS."""

from __future__ import annotations

import argparse
import os
import ssl
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

from strongroom.cli.common import data_dir_argument, database_argument
from strongroom.cli.seed import add_server_options, apply_server_seed, read_server_seed
from strongroom.errors import StrongroomError
from strongroom.seed import SeedError, SeedFile
from strongroom.server.config import (
    DEFAULT_DATA_DIR,
    DEFAULT_KMIP_PORT,
    DEFAULT_REGION,
    ConfigError,
    ServerConfig,
)
from strongroom.server.dev import (
    DEFAULT_DEV_ACCOUNT,
    DevKmipClient,
    ensure_dev_account,
    ensure_dev_kmip_client,
    prepare_dev_files,
)
from strongroom.server.metrics import prepare_multiprocess
from strongroom.server.tls import ensure_dev_tls, mutual_tls_context, server_ssl_context
from strongroom.server.unsealer import Unsealer
from strongroom.server.wiring import open_core, settle_kmip_port
from strongroom.server.workers import run_workers
from strongroom.trust.key_file import RootKeyFileError


def add_parser(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = commands.add_parser("server", help="run the KMS server")
    p.add_argument("--dev", action="store_true",
                   help="development mode: create a root key, TLS material and a dev account as needed")
    p.add_argument("--in-memory", action="store_true",
                   help="with --dev: keep everything in a RAM-backed temporary directory (/dev/shm), removed when the "
                        "server stops; for throwaway CI runs (same semantics, nothing on disk)")
    data_dir_argument(p)
    database_argument(p)
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8080, help="plain HTTP port (default 8080)")
    p.add_argument("--tls-port", type=int, default=8443, help="HTTPS port (default 8443; 0 disables)")
    p.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                   help="worker processes (default: the number of cores)")
    p.add_argument("--root-key-file", type=Path,
                   help="file holding the root key (mode 0600)")
    p.add_argument("--root-of-trust", choices=("file", "shamir", "pkcs11", "kms"),
                   help="what unlocks the key store (default: the --config file's kind, else file)")
    p.add_argument("--config", type=Path,
                   help="TOML file with a [root_of_trust] table (see docs/root-of-trust.md)")
    p.add_argument("--control-socket", type=Path,
                   help="the operator socket (default DATA_DIR/control.sock)")
    p.add_argument("--tls-cert", type=Path,
                   help="PEM certificate chain for HTTPS")
    p.add_argument("--tls-key", type=Path, help="PEM private key for HTTPS")
    p.add_argument("--kmip-port", type=int,
                   help=f"KMIP port (TTLV over mutual TLS with the HTTPS certificate; default {DEFAULT_KMIP_PORT} "
                        "in --dev, else off; 0 disables)")
    p.add_argument("--kmip-client-ca", type=Path,
                   help="PEM CA certificate(s) whose client certificates KMIP accepts (default in --dev: the dev CA); "
                        "bind each client's certificate to a principal with `strongroom kmip-clients`")
    p.add_argument("--scheduler-interval", type=float, default=60.0,
                   help="seconds between runs of due rotations and deletions (default 60)")
    p.add_argument("--no-quotas", action="store_true", help="do not limit request rates")
    p.add_argument("--quota", action="append", default=[], type=_setting(float), metavar="BUCKET=RPS",
                   help="override a request-rate quota (symmetric, asymmetric, or a management API such as "
                        "CreateKey); repeatable; defaults are AWS's")
    p.add_argument("--limit", action="append", default=[], type=_setting(int), metavar="NAME=N",
                   help="override a resource limit (keys_per_region, aliases_per_key, grants_per_key, "
                        "key_policy_bytes, on_demand_rotations_per_key); repeatable")
    p.add_argument("--audit-fsync", action="store_true",
                   help="wait for the disk before answering (audit events then survive a machine crash, not only "
                        "a process crash; costs one fsync per batch of requests)")
    p.add_argument("--access-log", action="store_true",
                   help="log one line per request (at INFO) besides its audit event; off by default: the audit "
                        "trail already records every request, and under load the lines outgrow the store")
    p.add_argument("--audit-retention-days", type=float, default=365.0,
                   help="audit events older than this are purged by the scheduler (default 365)")
    p.add_argument("--operator-account",
                   help="the account whose root administers every account (default in --dev: the dev account)")
    add_server_options(p)
    p.set_defaults(run=run)


def _kmip_port(args: argparse.Namespace) -> tuple[int, bool]:
    """The KMIP port and whether it is only --dev's default (then a taken port turns KMIP off, not the server)."""
    if args.kmip_port is not None:
        return args.kmip_port, False
    return (DEFAULT_KMIP_PORT, True) if args.dev else (0, False)


def _setting(cast):  # type: ignore[no-untyped-def]
    def parse(text: str) -> tuple[str, object]:
        name, sep, value = text.partition("=")
        try:
            return name.strip(), cast(value)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected NAME=NUMBER, got {text!r}") from None
    return parse


def run(args: argparse.Namespace) -> int:
    if not args.in_memory:
        return _run(args)
    if not args.dev or args.database or args.data_dir != DEFAULT_DATA_DIR:
        print("strongroom: --in-memory needs --dev and keeps its own data directory: give no --data-dir or "
              "--database", file=sys.stderr)
        return 2
    ram = Path("/dev/shm")
    with tempfile.TemporaryDirectory(prefix="strongroom-", dir=ram if os.access(ram, os.W_OK) else None) as where:
        args.data_dir = Path(where) / "data"
        return _run(args)


def _run(args: argparse.Namespace) -> int:
    kmip_port, kmip_optional = _kmip_port(args)
    config = ServerConfig(
        data_dir=args.data_dir, dev=args.dev, host=args.host, port=args.port, tls_port=args.tls_port,
        workers=args.workers, root_key_file=args.root_key_file, tls_cert=args.tls_cert, tls_key=args.tls_key,
        scheduler_interval=args.scheduler_interval, operator_account=args.operator_account,
        audit_retention_days=args.audit_retention_days, audit_fsync=args.audit_fsync, access_log=args.access_log,
        quotas_enabled=not args.no_quotas,
        quota_overrides=tuple(args.quota), limit_overrides=tuple(args.limit),
        root_of_trust=args.root_of_trust, config_file=args.config, control_socket=args.control_socket,
        database_url=args.database, kmip_port=kmip_port, kmip_port_optional=kmip_optional,
        kmip_client_ca=args.kmip_client_ca)
    try:
        seed = read_server_seed(args)
        config.check()
        if config.root_kind() != "file":
            return _run_sealed(config, seed)
        if config.dev:
            config = prepare_dev_files(config)
        core = open_core(config)
    except (ConfigError, RootKeyFileError, StrongroomError, SeedError) as exc:
        print(f"strongroom: {exc}", file=sys.stderr)
        return 2
    try:
        _check_tls_material(config)
    except ConfigError as exc:
        core.close()
        print(f"strongroom: {exc}", file=sys.stderr)
        return 2
    try:
        if config.dev:
            account = ensure_dev_account(core, config.data_dir)
            config = replace(config, operator_account=config.operator_account or account.account_id)
            config = settle_kmip_port(config)
            kmip = ensure_dev_kmip_client(core, config.data_dir, account.account_id) if config.kmip_port else None
        apply_server_seed(core, seed, config)
        if config.dev:
            _announce_dev(config, account, kmip)
    except SeedError as exc:
        print(exc, file=sys.stderr)
        return 2
    finally:
        core.close()
    return _serve(config, Unsealer(config, config.root_settings()))


def _run_sealed(config: ServerConfig, seed: SeedFile | None = None) -> int:
    """A root of trust other than a key file: start sealed; the supervisor unseals (on its own for pkcs11 and
    kms, with the operators' shares for shamir). In dev mode the dev account is made once unsealed; the seed file
    is applied then (a failure is logged, and the server serves what the store holds)."""
    settings = config.root_settings()  # a configuration error stops the start before anything is created
    if config.dev:
        config.data_dir.mkdir(parents=True, exist_ok=True)
        os.chmod(config.data_dir, 0o700)
        tls = ensure_dev_tls(config.data_dir / "tls")
        config = replace(config, tls_cert=config.tls_cert or tls.server_cert, tls_key=config.tls_key or tls.server_key,
                         kmip_client_ca=config.kmip_client_ca or tls.ca_cert,
                         operator_account=config.operator_account or os.environ.get("STRONGROOM_DEV_ACCOUNT_ID")
                         or DEFAULT_DEV_ACCOUNT)
        config = settle_kmip_port(config)
    unsealer = Unsealer(config, settings)
    _check_tls_material(config)
    if config.dev or seed is not None:
        unsealer.on_unsealed = lambda core: _announce_unsealed_dev(config, core, seed)
    return _serve(config, unsealer)


def _announce_unsealed_dev(config: ServerConfig, core, seed: SeedFile | None) -> None:  # type: ignore[no-untyped-def]
    if not config.dev:
        apply_server_seed(core, seed, config)
        return
    account = ensure_dev_account(core, config.data_dir)
    kmip = ensure_dev_kmip_client(core, config.data_dir, account.account_id) if config.kmip_port else None
    apply_server_seed(core, seed, config)
    _announce_dev(config, account, kmip)


def _serve(config: ServerConfig, unsealer: Unsealer) -> int:
    try:
        unsealer.check()
        prepare_multiprocess(config.data_dir / "metrics")
        run_workers(config, unsealer)
    except (ConfigError, RootKeyFileError) as exc:
        print(f"strongroom: {exc}", file=sys.stderr)
        return 2
    return 0


def _check_tls_material(config: ServerConfig) -> None:
    if not config.tls_port and not config.kmip_port:
        return
    assert config.tls_cert is not None and config.tls_key is not None
    try:
        server_ssl_context(config.tls_cert, config.tls_key)
    except (OSError, ssl.SSLError) as exc:
        raise ConfigError(f"cannot load TLS material {config.tls_cert} / {config.tls_key}: {exc}") from None
    if config.kmip_port:
        assert config.kmip_client_ca is not None
        try:
            mutual_tls_context(config.tls_cert, config.tls_key, config.kmip_client_ca)
        except (OSError, ssl.SSLError) as exc:
            raise ConfigError(f"cannot load the KMIP client CA {config.kmip_client_ca}: {exc}") from None


def _announce_dev(config: ServerConfig, account, kmip: DevKmipClient | None) -> None:  # type: ignore[no-untyped-def]
    print(dev_banner(config, account, kmip), flush=True)


def _cloud_lines(config: ServerConfig, account_id: str) -> list[str]:
    """Azure Key Vault and Google Cloud KMS are served on the HTTPS port; their clients need an identity first."""
    if not config.tls_port:
        return []
    https = f"https://{config.host}:{config.tls_port}"
    return [f"  Azure:       {https}   (Key Vault; identity: strongroom azure apps create --account {account_id})",
            f"  Google:      {https}   (Cloud KMS; identity: strongroom gcp service-accounts create --account "
            f"{account_id} --project P --name N --key-file sa.json --token-uri {https}/token)"]


def dev_banner(config: ServerConfig, account, kmip: DevKmipClient | None) -> str:  # type: ignore[no-untyped-def]
    """Every endpoint and credential of the dev server, and ``export`` lines to paste into a shell."""
    http = f"http://{config.host}:{config.port}"
    ca = (config.data_dir / "tls" / "ca.pem").resolve()
    tls = f"https://{config.host}:{config.tls_port}   (CA: {ca})" if config.tls_port else "(disabled)"
    kmip_line = "(disabled)"
    exports = [f"export AWS_ACCESS_KEY_ID={account.access_key_id} AWS_SECRET_ACCESS_KEY={account.secret_access_key}",
               f"export AWS_DEFAULT_REGION={DEFAULT_REGION} AWS_ENDPOINT_URL={http}",
               f"export BAO_ADDR={http} BAO_TOKEN={account.vault_token} VAULT_ADDR={http} "
               f"VAULT_TOKEN={account.vault_token}"]
    if kmip is not None:
        kmip_line = f"{config.host}:{config.kmip_port}   (mutual TLS: the client certificate in KMIP_CERT below)"
        exports.append(f"export KMIP_ADDR={config.host}:{config.kmip_port} "
                       f"KMIP_CERT={Path(kmip.certificate).resolve()} KMIP_KEY={Path(kmip.key).resolve()} "
                       f"KMIP_CA={Path(str(config.kmip_client_ca)).resolve()}")
    lines = [
        "Strongroom dev server",
        f"  AWS KMS API: {http}   (region {DEFAULT_REGION}, account {account.account_id})",
        f"  HTTPS:       {tls}",
        f"  Vault API:   {http}   (token in {config.data_dir / 'dev-vault-token'})",
        f"  KMIP:        {kmip_line}",
        *_cloud_lines(config, account.account_id),
        f"  access key:  {account.access_key_id}",
        f"  secret key:  {account.secret_access_key}",
        f"  credentials: {config.data_dir / 'dev-credentials'}   (AWS shared-credentials format)",
        "",
        "Paste into a shell to use the AWS CLI, boto3, bao/vault and KMIP clients:",
        *(f"  {line}" for line in exports),
        "",
    ]
    return "\n".join(lines)
