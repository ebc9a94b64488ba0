"""``strongroom server``: start the KMS."""

from __future__ import annotations

import argparse
import os
import ssl
import sys
from dataclasses import replace
from pathlib import Path

from strongroom.cli.common import data_dir_argument
from strongroom.server.config import ConfigError, ServerConfig, env_path
from strongroom.server.dev import ensure_dev_account, prepare_dev_files
from strongroom.server.tls import server_ssl_context
from strongroom.server.wiring import open_core
from strongroom.server.workers import run_workers
from strongroom.trust.key_file import RootKeyFileError


def add_parser(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = commands.add_parser("server", help="run the KMS server")
    p.add_argument("--dev", action="store_true",
                   help="development mode: create a root key, TLS material and a dev account as needed")
    data_dir_argument(p)
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8080, help="plain HTTP port (default 8080)")
    p.add_argument("--tls-port", type=int, default=8443, help="HTTPS port (default 8443; 0 disables)")
    p.add_argument("--workers", type=int, default=int(os.environ.get("STRONGROOM_WORKERS", "1")),
                   help="worker processes (default 1)")
    p.add_argument("--root-key-file", type=Path, default=env_path("STRONGROOM_ROOT_KEY_FILE"),
                   help="file holding the root key (mode 0600)")
    p.add_argument("--tls-cert", type=Path, default=env_path("STRONGROOM_TLS_CERT"),
                   help="PEM certificate chain for HTTPS")
    p.add_argument("--tls-key", type=Path, default=env_path("STRONGROOM_TLS_KEY"), help="PEM private key for HTTPS")
    p.add_argument("--scheduler-interval", type=float, default=60.0,
                   help="seconds between runs of due rotations and deletions (default 60)")
    p.add_argument("--operator-account", default=os.environ.get("STRONGROOM_OPERATOR_ACCOUNT"),
                   help="the account whose root administers every account (default in --dev: the dev account)")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    config = ServerConfig(
        data_dir=args.data_dir, dev=args.dev, host=args.host, port=args.port, tls_port=args.tls_port,
        workers=args.workers, root_key_file=args.root_key_file, tls_cert=args.tls_cert, tls_key=args.tls_key,
        scheduler_interval=args.scheduler_interval, operator_account=args.operator_account)
    try:
        config.check()
        if config.dev:
            config = prepare_dev_files(config)
        core = open_core(config)
    except (ConfigError, RootKeyFileError) as exc:
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
            _announce_dev(config, account)
    finally:
        core.close()
    run_workers(config)
    return 0


def _check_tls_material(config: ServerConfig) -> None:
    if not config.tls_port:
        return
    assert config.tls_cert is not None and config.tls_key is not None
    try:
        server_ssl_context(config.tls_cert, config.tls_key)
    except (OSError, ssl.SSLError) as exc:
        raise ConfigError(f"cannot load TLS material {config.tls_cert} / {config.tls_key}: {exc}") from None


def _announce_dev(config: ServerConfig, account) -> None:  # type: ignore[no-untyped-def]
    tls = f"https://{config.host}:{config.tls_port}" if config.tls_port else "(disabled)"
    print(f"""Strongroom dev server
  HTTP:        http://{config.host}:{config.port}
  HTTPS:       {tls}   (CA: {config.data_dir / 'tls' / 'ca.pem'})
  account:     {account.account_id}
  access key:  {account.access_key_id}
  secret key:  {account.secret_access_key}
  credentials: {config.data_dir / 'dev-credentials'}   (AWS shared-credentials format)
""", flush=True)
