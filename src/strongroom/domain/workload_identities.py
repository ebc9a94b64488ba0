"""Workload identities: how code written for a cloud signs in, without change, and which principal it then is.

* ``azure-app``: an application registration of the Microsoft identity platform. Its id is the client id (a
  GUID), its tenant the directory (tenant) id; it proves itself with its client secret.
* ``gcp-service-account``: a Google service account. Its id is its e-mail, its tenant the project id; it proves
  itself with an RS256 assertion signed by its private key, whose public half is kept here (``public_key``,
  PEM) under ``key_id`` (the key file's ``private_key_id``).

Either may ask for bearer tokens, which are JWTs signed with the identity's own ``token_key``.
"""

from __future__ import annotations

from dataclasses import dataclass

AZURE_APP = "azure-app"
GCP_SERVICE_ACCOUNT = "gcp-service-account"
KINDS = (AZURE_APP, GCP_SERVICE_ACCOUNT)


@dataclass(frozen=True, slots=True)
class WorkloadIdentity:
    identity_id: str
    kind: str
    tenant: str
    account_id: str
    user_name: str
    client_secret: bytes | None  # wrapped under the KEK
    public_key: str | None
    key_id: str | None
    token_key: bytes  # wrapped under the KEK
    description: str
    created_at: float

    def __repr__(self) -> str:
        return (f"WorkloadIdentity({self.kind} {self.identity_id!r}, tenant={self.tenant!r}, "
                f"principal={self.account_id}/{self.user_name})")
