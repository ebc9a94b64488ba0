"""What identifies an X.509 certificate to a credential binding: its SHA-256 fingerprint, issuer and subject."""

from __future__ import annotations

from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.serialization import Encoding

from strongroom.errors import InvalidRequestError


@dataclass(frozen=True, slots=True)
class CertificateIdentity:
    fingerprint: str  # lower-case hex SHA-256 of the DER encoding
    issuer: str  # RFC 4514
    subject: str


def certificate_identity(data: bytes) -> CertificateIdentity:
    """The identity of a PEM or DER certificate; a malformed one is an InvalidRequestError."""
    try:
        cert = x509.load_pem_x509_certificate(data) if data.lstrip().startswith(b"-----BEGIN") else \
            x509.load_der_x509_certificate(data)
    except ValueError as exc:
        raise InvalidRequestError(f"not an X.509 certificate: {exc}") from None
    return CertificateIdentity(cert.fingerprint(hashes.SHA256()).hex(), cert.issuer.rfc4514_string(),
                               cert.subject.rfc4514_string())


def der_of(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(Encoding.DER)
