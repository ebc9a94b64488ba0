"""Private keys given as their numbers (as key interchange formats carry them, e.g. a JWK), or material given as it
is stored, in the stored form of a key spec: PKCS#8 DER for RSA and EC, the raw bytes for symmetric keys. Checked
like any imported material (``check_material``); numbers that are not a key of the spec are
IncorrectKeyMaterialError. What it is given is plaintext key material: never logged, never kept."""

from __future__ import annotations

from dataclasses import dataclass, field

from cryptography.hazmat.primitives.asymmetric import ec, rsa

from strongroom.crypto.keygen import pkcs8
from strongroom.crypto.versioned_keys import check_material
from strongroom.errors import IncorrectKeyMaterialError

_CURVES: dict[str, type[ec.EllipticCurve]] = {"ECC_NIST_P256": ec.SECP256R1, "ECC_NIST_P384": ec.SECP384R1,
                                              "ECC_NIST_P521": ec.SECP521R1}


@dataclass(frozen=True, slots=True)
class PrivateNumbers:
    """RSA: ``n``, ``e``, ``d``, ``p``, ``q`` (``dp``, ``dq``, ``qi`` computed when absent); EC: ``x``, ``y``, ``d``;
    symmetric: ``raw``."""

    n: int | None = field(default=None, repr=False)
    e: int | None = field(default=None, repr=False)
    d: int | None = field(default=None, repr=False)
    p: int | None = field(default=None, repr=False)
    q: int | None = field(default=None, repr=False)
    dp: int | None = field(default=None, repr=False)
    dq: int | None = field(default=None, repr=False)
    qi: int | None = field(default=None, repr=False)
    x: int | None = field(default=None, repr=False)
    y: int | None = field(default=None, repr=False)
    raw: bytes | None = field(default=None, repr=False)


def imported_material(key_spec: str, material: bytes) -> bytes:
    """Material given in its stored form (PKCS#8 DER, raw bytes), checked for ``key_spec``."""
    return check_material(key_spec, material)


def material_from_numbers(key_spec: str, numbers: PrivateNumbers) -> bytes:
    try:
        if key_spec.startswith("RSA_"):
            n, e, d, p, q = numbers.n, numbers.e, numbers.d, numbers.p, numbers.q
            if None in (n, e, d, p, q):
                raise IncorrectKeyMaterialError("An RSA private key needs n, e, d, p and q.")
            assert n is not None and e is not None and d is not None and p is not None and q is not None
            private = rsa.RSAPrivateNumbers(
                p, q, d, numbers.dp or rsa.rsa_crt_dmp1(d, p), numbers.dq or rsa.rsa_crt_dmq1(d, q),
                numbers.qi or rsa.rsa_crt_iqmp(p, q), rsa.RSAPublicNumbers(e, n)).private_key()
            return check_material(key_spec, pkcs8(private))
        if key_spec in _CURVES:
            if numbers.d is None or numbers.x is None or numbers.y is None:
                raise IncorrectKeyMaterialError("An EC private key needs x, y and d.")
            private_ec = ec.EllipticCurvePrivateNumbers(numbers.d, ec.EllipticCurvePublicNumbers(
                numbers.x, numbers.y, _CURVES[key_spec]())).private_key()
            return check_material(key_spec, pkcs8(private_ec))
        return check_material(key_spec, numbers.raw or b"")
    except ValueError:
        raise IncorrectKeyMaterialError(f"The numbers are not a private key of key spec {key_spec}.") from None
