"""Key material as a seed file writes it: hex or base64 bytes, and PEM private keys."""

from __future__ import annotations

import base64
import binascii
import re

PRIVATE_KEY_LABELS = ("PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY")  # PKCS#8, PKCS#1, SEC 1
_PEM = re.compile(r"-----BEGIN ([A-Z ]+)-----\s*(.*?)\s*-----END \1-----", re.DOTALL)


class MaterialError(ValueError):
    """Material that cannot be decoded; the message says how it should be written (never what it holds)."""


def from_hex(text: str) -> bytes:
    cleaned = "".join(text.split())
    try:
        return bytes.fromhex(cleaned)
    except ValueError:
        raise MaterialError("material must be hex digits (two per byte)") from None


def from_base64(text: str) -> bytes:
    try:
        return base64.b64decode("".join(text.split()), validate=True)
    except (ValueError, binascii.Error):
        raise MaterialError("material must be base64") from None


def private_key_from_pem(text: str) -> bytes:
    """The DER of a PEM private key (PKCS#8 ``PRIVATE KEY``, PKCS#1 ``RSA PRIVATE KEY`` or SEC 1 ``EC PRIVATE
    KEY``). Encrypted PEM is refused: a seed file has no passphrase to give."""
    found = _PEM.search(text)
    if found is None:
        raise MaterialError("expected a PEM private key (-----BEGIN PRIVATE KEY----- ...)")
    label, body = found.group(1), found.group(2)
    if label not in PRIVATE_KEY_LABELS or "Proc-Type" in body or "ENCRYPTED" in label:
        raise MaterialError(f"expected an unencrypted PEM private key ({', '.join(PRIVATE_KEY_LABELS)}), not "
                            f"{label}")
    try:
        return base64.b64decode("".join(body.split()), validate=True)
    except (ValueError, binascii.Error):
        raise MaterialError("the PEM body is not base64") from None


def private_key_to_pem(der: bytes) -> str:
    """A PKCS#8 DER private key as PEM."""
    body = base64.b64encode(der).decode()
    lines = [body[i:i + 64] for i in range(0, len(body), 64)]
    return "-----BEGIN PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END PRIVATE KEY-----\n"
