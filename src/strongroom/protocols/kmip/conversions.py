"""KMIP's vocabulary in the core's terms and back: object types and kinds, algorithms and key specs, states,
usage masks, and Cryptographic Parameters as cipher modes and signing algorithms."""

from __future__ import annotations

from strongroom.protocols.kmip import stored
from strongroom.protocols.kmip.enums import (
    BlockCipherMode,
    CryptographicAlgorithm,
    CryptographicUsageMask,
    DigitalSignatureAlgorithm,
    HashingAlgorithm,
    ObjectType,
    PaddingMethod,
    ResultReason,
    State,
)
from strongroom.protocols.kmip.objects import CryptographicParameters
from strongroom.protocols.kmip.results import Refusal
from strongroom.service.managed_objects import STORED_SYMMETRIC, ManagedObject, ObjectKind
from strongroom.service.object_lifecycle import Lifecycle

KIND_OF: dict[int, ObjectKind] = {
    ObjectType.SYMMETRIC_KEY: ObjectKind.SYMMETRIC_KEY, ObjectType.PRIVATE_KEY: ObjectKind.PRIVATE_KEY,
    ObjectType.PUBLIC_KEY: ObjectKind.PUBLIC_KEY, ObjectType.CERTIFICATE: ObjectKind.CERTIFICATE,
    ObjectType.SECRET_DATA: ObjectKind.SECRET, ObjectType.OPAQUE_OBJECT: ObjectKind.OPAQUE,
}
OBJECT_TYPE_OF: dict[ObjectKind, ObjectType] = {kind: ObjectType(t) for t, kind in KIND_OF.items()}
STATE_OF: dict[Lifecycle, State] = {
    Lifecycle.PRE_ACTIVE: State.PRE_ACTIVE, Lifecycle.ACTIVE: State.ACTIVE, Lifecycle.DEACTIVATED: State.DEACTIVATED,
    Lifecycle.COMPROMISED: State.COMPROMISED, Lifecycle.DESTROYED: State.DESTROYED,
    Lifecycle.DESTROYED_COMPROMISED: State.DESTROYED_COMPROMISED,
}
_AES = {128: "AES_128", 192: "AES_192", 256: "SYMMETRIC_DEFAULT"}
_HMAC = {CryptographicAlgorithm.HMAC_SHA224: "HMAC_224", CryptographicAlgorithm.HMAC_SHA256: "HMAC_256",
         CryptographicAlgorithm.HMAC_SHA384: "HMAC_384", CryptographicAlgorithm.HMAC_SHA512: "HMAC_512"}
_CURVES = {256: "ECC_NIST_P256", 384: "ECC_NIST_P384", 521: "ECC_NIST_P521"}
_EC_ALGORITHMS = (CryptographicAlgorithm.EC, CryptographicAlgorithm.ECDSA, CryptographicAlgorithm.ECDH)
_ASYMMETRIC = (CryptographicAlgorithm.RSA, CryptographicAlgorithm.DSA, CryptographicAlgorithm.DH,
               CryptographicAlgorithm.ECMQV, CryptographicAlgorithm.ED25519, CryptographicAlgorithm.ED448,
               *_EC_ALGORITHMS)


def _name(value: int, cls: type) -> str:
    try:
        return cls(value).name  # type: ignore[no-any-return]
    except ValueError:
        return str(value)


def symmetric_spec(algorithm: int | None, length: int | None, *, registering: bool = False) -> str:
    """The core's key spec for a KMIP symmetric key: AES 128/192/256, HMAC-SHA-2, or (any other algorithm) a key
    the server keeps but does not compute with (so is an AES key of another length the client registers)."""
    if algorithm == CryptographicAlgorithm.AES:
        if length not in _AES and registering:
            return STORED_SYMMETRIC  # the client's own material: kept as given
        if length not in _AES:
            raise Refusal(ResultReason.INVALID_FIELD, f"AES keys are 128, 192 or 256 bits, not {length}")
        return _AES[length]
    if algorithm in _HMAC:
        return _HMAC[algorithm]  # type: ignore[index]
    if algorithm is None:
        raise Refusal(ResultReason.INVALID_FIELD, "the Cryptographic Algorithm is missing")
    if algorithm in _ASYMMETRIC:
        raise Refusal(ResultReason.INVALID_FIELD, f"{_name(algorithm, CryptographicAlgorithm)} keys are not symmetric")
    if length is None:
        raise Refusal(ResultReason.INVALID_FIELD, "the Cryptographic Length is missing")
    return STORED_SYMMETRIC  # kept and given out; this server does not compute with it


def asymmetric_spec(algorithm: int | None, length: int | None) -> str:
    if algorithm == CryptographicAlgorithm.RSA:
        if length not in (2048, 3072, 4096):
            raise Refusal(ResultReason.INVALID_FIELD, f"RSA keys are 2048, 3072 or 4096 bits, not {length}")
        return f"RSA_{length}"
    if algorithm in _EC_ALGORITHMS:
        if length not in _CURVES:
            raise Refusal(ResultReason.INVALID_FIELD, f"EC keys are on P-256, P-384 or P-521, not {length} bits")
        return _CURVES[length]
    if algorithm == CryptographicAlgorithm.ED25519:
        return "ECC_NIST_EDWARDS25519"
    raise Refusal(ResultReason.FEATURE_NOT_SUPPORTED,
                  f"key pairs of {_name(algorithm or 0, CryptographicAlgorithm)} are not supported; use RSA, EC or "
                  "Ed25519")


def algorithm_of(managed: ManagedObject) -> int | None:
    """The KMIP Cryptographic Algorithm of an object (None for secret data, opaque objects, certificates)."""
    given = managed.attributes.get(stored.ALGORITHM)
    return int(given) if given else algorithm_of_spec(managed.algorithm)


def algorithm_of_spec(spec: str) -> int | None:
    if spec in _AES.values():
        return CryptographicAlgorithm.AES
    for algorithm, hmac_spec in _HMAC.items():
        if spec == hmac_spec:
            return algorithm
    if spec.startswith("RSA_"):
        return CryptographicAlgorithm.RSA
    if spec.startswith("ECC_NIST_P") or spec == "ECC_SECG_P256K1":
        return CryptographicAlgorithm.ECDSA
    if spec == "ECC_NIST_EDWARDS25519":
        return CryptographicAlgorithm.ED25519
    return None


def default_usage_mask(managed: ManagedObject) -> int:
    """The usage mask of an object that carries none of its own (a key made through another protocol)."""
    return int(_USAGE_MASKS.get(managed.key.key_usage, 0))


_USAGE_MASKS = {"ENCRYPT_DECRYPT": CryptographicUsageMask.ENCRYPT | CryptographicUsageMask.DECRYPT,
                "SIGN_VERIFY": CryptographicUsageMask.SIGN | CryptographicUsageMask.VERIFY,
                "GENERATE_VERIFY_MAC": CryptographicUsageMask.MAC_GENERATE | CryptographicUsageMask.MAC_VERIFY}


# --- Cryptographic Parameters ---------------------------------------------------------------------------

_MODES = {BlockCipherMode.CBC: "CBC", BlockCipherMode.ECB: "ECB", BlockCipherMode.CTR: "CTR",
          BlockCipherMode.GCM: "GCM", BlockCipherMode.NIST_KEY_WRAP: "KEY_WRAP",
          BlockCipherMode.AES_KEY_WRAP_PADDING: "KEY_WRAP_PAD"}
_PADDINGS = {PaddingMethod.PKCS5: "PKCS7", PaddingMethod.NONE: "NONE"}
_HASHES = {HashingAlgorithm.SHA_1: "SHA_1", HashingAlgorithm.SHA_224: "SHA_224", HashingAlgorithm.SHA_256: "SHA_256",
           HashingAlgorithm.SHA_384: "SHA_384", HashingAlgorithm.SHA_512: "SHA_512"}
_HMAC_HASH = {CryptographicAlgorithm.HMAC_SHA1: "SHA_1", CryptographicAlgorithm.HMAC_SHA224: "SHA_224",
              CryptographicAlgorithm.HMAC_SHA256: "SHA_256", CryptographicAlgorithm.HMAC_SHA384: "SHA_384",
              CryptographicAlgorithm.HMAC_SHA512: "SHA_512"}
_DSA = {
    DigitalSignatureAlgorithm.SHA256_WITH_RSA_ENCRYPTION: "RSASSA_PKCS1_V1_5_SHA_256",
    DigitalSignatureAlgorithm.SHA384_WITH_RSA_ENCRYPTION: "RSASSA_PKCS1_V1_5_SHA_384",
    DigitalSignatureAlgorithm.SHA512_WITH_RSA_ENCRYPTION: "RSASSA_PKCS1_V1_5_SHA_512",
    DigitalSignatureAlgorithm.ECDSA_WITH_SHA256: "ECDSA_SHA_256",
    DigitalSignatureAlgorithm.ECDSA_WITH_SHA384: "ECDSA_SHA_384",
    DigitalSignatureAlgorithm.ECDSA_WITH_SHA512: "ECDSA_SHA_512",
}


def cipher(parameters: CryptographicParameters) -> tuple[str, str]:
    """(mode, padding) for the core's block ciphers; AES only."""
    if parameters.cryptographic_algorithm not in (None, CryptographicAlgorithm.AES):
        raise Refusal(ResultReason.FEATURE_NOT_SUPPORTED, "only AES encrypts here")
    mode = _MODES.get(parameters.block_cipher_mode)  # type: ignore[call-overload]
    if mode is None:
        named = "none" if parameters.block_cipher_mode is None else _name(parameters.block_cipher_mode,
                                                                          BlockCipherMode)
        raise Refusal(ResultReason.FEATURE_NOT_SUPPORTED,
                      f"block cipher mode {named} is not supported; use CBC, ECB, CTR, GCM or a NIST key wrap")
    padding_method = parameters.padding_method if parameters.padding_method is not None else PaddingMethod.NONE
    padding = _PADDINGS.get(padding_method)  # type: ignore[call-overload]
    if padding is None:
        raise Refusal(ResultReason.FEATURE_NOT_SUPPORTED,
                      f"padding {_name(padding_method, PaddingMethod)} is not supported; use PKCS5 or none")
    return mode, padding


def signing_algorithm(parameters: CryptographicParameters | None, managed: ManagedObject) -> str:
    """The core's name for the signature algorithm the parameters (or the key's kind) ask for."""
    spec = managed.algorithm
    p = parameters or CryptographicParameters()
    if p.digital_signature_algorithm is not None:
        if p.digital_signature_algorithm == DigitalSignatureAlgorithm.RSASSA_PSS:
            return f"RSASSA_PSS_{_hash(p.hashing_algorithm or HashingAlgorithm.SHA_256)}"
        found = _DSA.get(p.digital_signature_algorithm)  # type: ignore[call-overload]
        if found is None:
            raise Refusal(ResultReason.FEATURE_NOT_SUPPORTED, "this Digital Signature Algorithm is not supported")
        return found
    if spec == "ECC_NIST_EDWARDS25519":
        return "ED25519_SHA_512"
    digest = _hash(p.hashing_algorithm or HashingAlgorithm.SHA_256)
    if spec.startswith("RSA_"):
        if p.padding_method == PaddingMethod.PSS:
            return f"RSASSA_PSS_{digest}"
        if p.padding_method in (None, PaddingMethod.PKCS1_V1_5):
            return f"RSASSA_PKCS1_V1_5_{digest}"
        raise Refusal(ResultReason.FEATURE_NOT_SUPPORTED, "RSA signatures use PSS or PKCS#1 v1.5 padding")
    return f"ECDSA_{digest}"


def _hash(hashing_algorithm: int) -> str:
    found = _HASHES.get(hashing_algorithm)  # type: ignore[call-overload]
    if found is None:
        raise Refusal(ResultReason.FEATURE_NOT_SUPPORTED,
                      f"hashing algorithm {_name(hashing_algorithm, HashingAlgorithm)} is not supported")
    return found


def mac_hash(parameters: CryptographicParameters | None, managed: ManagedObject) -> str:
    """The hash of an HMAC: the parameters' algorithm, else the key's."""
    algorithm = parameters.cryptographic_algorithm if parameters is not None else None
    algorithm = algorithm if algorithm is not None else algorithm_of(managed)
    found = _HMAC_HASH.get(algorithm)  # type: ignore[arg-type]
    if found is None:
        raise Refusal(ResultReason.FEATURE_NOT_SUPPORTED, "MACs are HMAC with SHA-1 or SHA-2 here")
    return found
