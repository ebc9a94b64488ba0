"""Client certificates as credentials: a binding names the principal a TLS client certificate stands for.

A binding matches a certificate either by its SHA-256 fingerprint (that one certificate) or by its issuer and
subject (any certificate that issuer gives that subject, so a renewed certificate keeps working). The TLS layer
has already verified the chain against the listener's trusted CAs; the binding only says who the client is.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class CertificateBinding:
    binding_id: str
    fingerprint: str | None  # lower-case hex SHA-256 of the DER certificate
    issuer: str | None  # RFC 4514, as pyca/cryptography renders it
    subject: str | None
    account_id: str
    user_name: str
    description: str
    created_at: float

    @property
    def by_fingerprint(self) -> bool:
        return self.fingerprint is not None
