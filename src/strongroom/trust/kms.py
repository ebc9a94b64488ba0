"""The ``kms`` root of trust (auto-unseal): another AWS-KMS-compatible service wraps the KEK.

The KEK is stored as the ciphertext of ``Encrypt`` under a named KMS key (real AWS KMS, or another
Strongroom), bound to the encryption context ``{"strongroom": "data-store-kek"}``; at start the server asks the
KMS to ``Decrypt`` it with its configured credentials. botocore is the client.
"""

from __future__ import annotations

import configparser
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from strongroom.trust import envelope
from strongroom.trust.base import RootConfigError, RootOfTrustError

NAME = "kms"
CONTEXT = {"strongroom": "data-store-kek"}
_TRANSIENT_CODES = {"KMSInternalException", "DependencyTimeoutException", "ThrottlingException",
                    "InternalFailure", "ServiceUnavailable", "KMSInvalidStateException"}


@dataclass(frozen=True)
class KmsSettings:
    region: str
    key_id: str
    access_key_id: str
    secret_access_key: str
    endpoint_url: str | None = None
    session_token: str | None = None
    ca_bundle: Path | None = None
    timeout: float = 5.0

    def __repr__(self) -> str:
        return f"KmsSettings(endpoint_url={self.endpoint_url!r}, region={self.region!r}, key_id={self.key_id!r})"

    @classmethod
    def from_table(cls, table: dict[str, Any], base_dir: Path) -> KmsSettings:
        for required in ("region", "key_id"):
            if not table.get(required):
                raise RootConfigError(f"root_of_trust.{required} is required for the kms root of trust")
        access, secret, token = _credentials(table, base_dir)
        ca = table.get("ca_bundle")
        return cls(str(table["region"]), str(table["key_id"]), access, secret, table.get("endpoint_url"), token,
                   base_dir / ca if ca else None, float(table.get("timeout", 5.0)))

    @property
    def where(self) -> str:
        return self.endpoint_url or f"AWS KMS in {self.region}"


def _credentials(table: dict[str, Any], base_dir: Path) -> tuple[str, str, str | None]:
    """Explicit keys, else STRONGROOM_KMS_* variables, else a profile of an AWS shared-credentials file."""
    access = os.environ.get("STRONGROOM_KMS_ACCESS_KEY_ID") or table.get("access_key_id")
    secret = os.environ.get("STRONGROOM_KMS_SECRET_ACCESS_KEY") or table.get("secret_access_key")
    token = os.environ.get("STRONGROOM_KMS_SESSION_TOKEN") or table.get("session_token")
    if not (access and secret) and table.get("credentials_file"):
        path = base_dir / str(table["credentials_file"])
        profile = str(table.get("profile", "default"))
        parser = configparser.ConfigParser()
        if not parser.read(path) or not parser.has_section(profile):
            raise RootConfigError(f"no profile [{profile}] in the credentials file {path}")
        section = parser[profile]
        access, secret = section.get("aws_access_key_id"), section.get("aws_secret_access_key")
        token = section.get("aws_session_token")
    if not (access and secret):
        raise RootConfigError("credentials for the KMS are required: root_of_trust.access_key_id and "
                              ".secret_access_key, STRONGROOM_KMS_ACCESS_KEY_ID and STRONGROOM_KMS_SECRET_ACCESS_KEY, "
                              "or root_of_trust.credentials_file")
    return str(access).strip(), str(secret).strip(), token


class KmsRootOfTrust:
    name = NAME

    def __init__(self, settings: KmsSettings, key_id: str | None = None) -> None:
        self.settings = settings
        self.key_id = key_id or settings.key_id

    def __repr__(self) -> str:
        return f"KmsRootOfTrust({self.settings.where!r}, {self.key_id!r})"

    def _client(self) -> Any:
        import botocore.config
        import botocore.session

        session = botocore.session.Session()
        s = self.settings
        return session.create_client(
            "kms", region_name=s.region, endpoint_url=s.endpoint_url, aws_access_key_id=s.access_key_id,
            aws_secret_access_key=s.secret_access_key, aws_session_token=s.session_token,
            verify=str(s.ca_bundle) if s.ca_bundle else None,
            config=botocore.config.Config(connect_timeout=s.timeout, read_timeout=s.timeout,
                                          retries={"max_attempts": 2, "mode": "standard"}))

    def _call(self, operation: str, **params: Any) -> dict[str, Any]:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return getattr(self._client(), operation)(**params)
        except ClientError as exc:
            error = exc.response.get("Error", {})
            code, message = error.get("Code", "?"), error.get("Message", "")
            raise RootOfTrustError(f"the KMS at {self.settings.where} refused {exc.operation_name} with key "
                                   f"{self.key_id}: {code}: {message}",
                                   transient=code in _TRANSIENT_CODES) from None
        except BotoCoreError as exc:
            raise RootOfTrustError(f"cannot reach the KMS at {self.settings.where}: {exc}", transient=True) from None

    def wrap_kek(self, kek: bytes) -> bytes:
        done = self._call("encrypt", KeyId=self.key_id, Plaintext=bytes(kek), EncryptionContext=CONTEXT)
        return envelope.pack(NAME, done["CiphertextBlob"], key_id=done.get("KeyId") or self.key_id)

    def unwrap_kek(self, wrapped: bytes) -> bytes:
        record = envelope.unpack_for(wrapped, NAME)
        done = self._call("decrypt", CiphertextBlob=record.body, KeyId=self.key_id, EncryptionContext=CONTEXT)
        return bytes(done["Plaintext"])

    def rotate_key_material(self) -> None:
        """Ask the KMS for a new version of this key (RotateKeyOnDemand); later wraps use it."""
        self._call("rotate_key_on_demand", KeyId=self.key_id)


def root_for_record(settings: KmsSettings, meta: dict[str, Any]) -> KmsRootOfTrust:
    """The root that unwraps a record: the KMS key the record names (after a rotation to a new key, that one)."""
    return KmsRootOfTrust(settings, str(meta.get("key_id") or settings.key_id))
