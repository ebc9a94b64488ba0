"""Compact JWS (RFC 7515) as clouds' clients send them: parsed leniently, RS256-verified over the exact bytes.

JWT libraries insist on unpadded base64url; libmongocrypt's Google assertions pad every segment with ``=`` and
sign the padded text. Here the segments may be padded or not, and the signature is checked over the signing
input exactly as received, so both forms verify and nothing else does.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

MAX_TOKEN_BYTES = 16 * 1024


@dataclass(frozen=True, slots=True)
class ParsedJws:
    header: dict[str, Any]
    claims: dict[str, Any]
    signing_input: bytes
    signature: bytes


def parse(token: str) -> ParsedJws | None:
    """The three segments decoded, or None if ``token`` is not a compact JWS with JSON header and claims."""
    if not isinstance(token, str) or len(token) > MAX_TOKEN_BYTES or token.count(".") != 2:
        return None
    head, body, signature = token.split(".")
    try:
        header, claims = json.loads(_b64url(head)), json.loads(_b64url(body))
        raw_signature = _b64url(signature)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        return None
    if not isinstance(header, dict) or not isinstance(claims, dict):
        return None
    return ParsedJws(header, claims, f"{head}.{body}".encode(), raw_signature)


def rs256_valid(parsed: ParsedJws, public_key_pem: str) -> bool:
    key = serialization.load_pem_public_key(public_key_pem.encode())
    if not isinstance(key, rsa.RSAPublicKey):
        return False
    try:
        key.verify(parsed.signature, parsed.signing_input, padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature:
        return False
    return True


def _b64url(segment: str) -> bytes:
    stripped = segment.rstrip("=")
    if not stripped.replace("-", "").replace("_", "").isalnum() and stripped:
        raise ValueError("not base64url")
    return base64.urlsafe_b64decode(stripped + "=" * (-len(stripped) % 4))
