"""Dev mode: everything a local server needs, created on first start and reused afterwards."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from strongroom.errors import StrongroomError
from strongroom.server.config import DEFAULT_REGION, ROOT_KEY_FILE, ServerConfig
from strongroom.server.tls import ensure_dev_tls, issue_client_certificate
from strongroom.service.core import Core
from strongroom.service.credentials import new_account_id
from strongroom.trust.key_file import create_root_key_file

CREDENTIALS_FILE = "dev-credentials"
VAULT_TOKEN_FILE = "dev-vault-token"
KMIP_CLIENT_CERT = "kmip-client.pem"  # under DIR/tls/, with its key in KMIP_CLIENT_KEY
KMIP_CLIENT_KEY = "kmip-client-key.pem"
KMIP_CLIENT_NAME = "strongroom-dev-kmip-client"
DEFAULT_DEV_ACCOUNT = "111122223333"


@dataclass(frozen=True)
class DevAccount:
    account_id: str
    access_key_id: str
    secret_access_key: str
    vault_token: str = ""

    def __repr__(self) -> str:
        return f"DevAccount({self.account_id!r}, {self.access_key_id!r}, <secrets>)"


@dataclass(frozen=True)
class DevKmipClient:
    """The dev account's KMIP client certificate and key (PEM files), bound to the account's root."""

    certificate: Path
    key: Path


def prepare_dev_files(config: ServerConfig) -> ServerConfig:
    """Create the data directory, root key and TLS material if missing; return the completed config."""
    config.data_dir.mkdir(parents=True, exist_ok=True)
    os.chmod(config.data_dir, 0o700)
    root_key = config.root_key_file or config.data_dir / ROOT_KEY_FILE
    if not root_key.exists():
        create_root_key_file(root_key)
    tls = ensure_dev_tls(config.data_dir / "tls")
    return ServerConfig(**{**config.__dict__, "root_key_file": root_key,
                           "tls_cert": config.tls_cert or tls.server_cert,
                           "tls_key": config.tls_key or tls.server_key,
                           "kmip_client_ca": config.kmip_client_ca or tls.ca_cert})


def ensure_dev_account(core: Core, data_dir: Path) -> DevAccount:
    """The dev access key: fixed by STRONGROOM_DEV_* variables, else the one from an earlier start, else new."""
    saved = _read_credentials(data_dir / CREDENTIALS_FILE)
    account_id = os.environ.get("STRONGROOM_DEV_ACCOUNT_ID") or saved.get("account_id") or DEFAULT_DEV_ACCOUNT
    access_key_id = os.environ.get("STRONGROOM_DEV_ACCESS_KEY_ID") or saved.get("aws_access_key_id")
    secret = os.environ.get("STRONGROOM_DEV_SECRET_ACCESS_KEY") or saved.get("aws_secret_access_key")
    existing = core.credentials.lookup(access_key_id) if access_key_id else None
    if existing is None or existing.secret_access_key != secret or existing.account_id != account_id:
        if existing is not None:
            core.credentials.delete(existing.access_key_id)
        created = core.credentials.create(account_id or new_account_id(), access_key_id=access_key_id,
                                          secret_access_key=secret).key
        access_key_id, secret = created.access_key_id, created.secret_access_key
    account = DevAccount(account_id, access_key_id, secret,  # type: ignore[arg-type]
                         ensure_dev_vault_token(core, data_dir, account_id))
    _write_credentials(data_dir / CREDENTIALS_FILE, account)
    return account


def ensure_dev_vault_token(core: Core, data_dir: Path, account_id: str) -> str:
    """A root Vault token of the dev account that never expires: fixed by STRONGROOM_DEV_VAULT_TOKEN, else
    the one from an earlier start, else new; written to DIR/dev-vault-token (0600)."""
    path = data_dir / VAULT_TOKEN_FILE
    wanted = os.environ.get("STRONGROOM_DEV_VAULT_TOKEN") or (path.read_text().strip() if path.exists() else "")
    current = None
    if wanted:
        try:
            current = core.tokens.authenticate(wanted)
        except StrongroomError:
            current = None
    if current is None or current.account_id != account_id or "root" not in current.policies:
        wanted = core.tokens.issue(account_id, policies=("root",), ttl=0, display_name="root",
                                   token=wanted or None).token
    _write_private(path, wanted + "\n")
    return wanted


def ensure_dev_kmip_client(core: Core, data_dir: Path, account_id: str) -> DevKmipClient:
    """A client certificate of the dev CA for KMIP, bound to the dev account's root: the one from an earlier start
    while it is still bound to that account, else a new one, written to DIR/tls/kmip-client.pem and
    DIR/tls/kmip-client-key.pem (0600)."""
    tls_dir = data_dir / "tls"
    files = DevKmipClient(tls_dir / KMIP_CLIENT_CERT, tls_dir / KMIP_CLIENT_KEY)
    if files.certificate.exists() and files.key.exists():
        try:
            if core.client_certificates.authenticate(files.certificate.read_bytes()).account_id == account_id:
                return files
        except StrongroomError:
            pass
    cert_pem, key_pem = issue_client_certificate(tls_dir, KMIP_CLIENT_NAME)
    core.client_certificates.bind(account_id, certificate=cert_pem, description="dev KMIP client")
    _write_private(files.key, key_pem.decode())
    _write_private(files.certificate, cert_pem.decode())
    return files


def _write_private(path: Path, text: str) -> None:
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(text)
    os.replace(tmp, path)


def _read_credentials(path: Path) -> dict[str, str]:
    if not path.exists():
        return {}
    values = {}
    for line in path.read_text().splitlines():
        if "=" in line:
            name, _, value = line.partition("=")
            values[name.strip().lstrip("#").strip()] = value.strip()  # the account id is kept in a comment
    return values


def _write_credentials(path: Path, account: DevAccount) -> None:
    text = (f"[default]\naws_access_key_id = {account.access_key_id}\n"
            f"aws_secret_access_key = {account.secret_access_key}\n"
            f"region = {DEFAULT_REGION}\n# account_id = {account.account_id}\n")
    _write_private(path, text)
