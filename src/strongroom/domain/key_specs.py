"""The AWS KMS key specs as facts: which key usages each allows, and the algorithm lists AWS reports for it.

Pure rules, no cryptography: which spec a key may have with which usage, which algorithms an operation may
name for a key, how a Sign/Verify message must look for an algorithm (RAW, DIGEST of the right length,
EXTERNAL_MU), AWS's RSA-OAEP plaintext caps, the data key pair specs and the import wrapping options.
Whether the installed cryptography library can do a spec is a separate question (``crypto/keygen.py``).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from strongroom.errors import InvalidRequestError, KeyUsageError, UnsupportedError

SYMMETRIC_DEFAULT = "SYMMETRIC_DEFAULT"
ENCRYPT_DECRYPT = "ENCRYPT_DECRYPT"
SIGN_VERIFY = "SIGN_VERIFY"
GENERATE_VERIFY_MAC = "GENERATE_VERIFY_MAC"
KEY_AGREEMENT = "KEY_AGREEMENT"
ENCAPSULATE_DECAPSULATE = "ENCAPSULATE_DECAPSULATE"

RAW, DIGEST, EXTERNAL_MU = "RAW", "DIGEST", "EXTERNAL_MU"
MESSAGE_TYPES = (RAW, DIGEST, EXTERNAL_MU)


class Family(enum.StrEnum):
    SYMMETRIC = "SYMMETRIC"
    HMAC = "HMAC"
    RSA = "RSA"
    ECC_NIST = "ECC_NIST"
    ECC_SECG = "ECC_SECG"
    EDWARDS = "EDWARDS"
    ML_DSA = "ML_DSA"
    ML_KEM = "ML_KEM"
    SM2 = "SM2"


FAMILY: dict[str, Family] = {
    SYMMETRIC_DEFAULT: Family.SYMMETRIC,
    **{f"HMAC_{n}": Family.HMAC for n in (224, 256, 384, 512)},
    **{f"RSA_{n}": Family.RSA for n in (2048, 3072, 4096)},
    **{f"ECC_NIST_P{n}": Family.ECC_NIST for n in (256, 384, 521)},
    "ECC_SECG_P256K1": Family.ECC_SECG,
    "ECC_NIST_EDWARDS25519": Family.EDWARDS,
    **{f"ML_DSA_{n}": Family.ML_DSA for n in (44, 65, 87)},
    **{f"ML_KEM_{n}": Family.ML_KEM for n in (512, 768, 1024)},
    "SM2": Family.SM2,
}

USAGES: dict[Family, tuple[str, ...]] = {
    Family.SYMMETRIC: (ENCRYPT_DECRYPT,),
    Family.HMAC: (GENERATE_VERIFY_MAC,),
    Family.RSA: (ENCRYPT_DECRYPT, SIGN_VERIFY),
    Family.ECC_NIST: (SIGN_VERIFY, KEY_AGREEMENT),
    Family.ECC_SECG: (SIGN_VERIFY,),
    Family.EDWARDS: (SIGN_VERIFY,),
    Family.ML_DSA: (SIGN_VERIFY,),
    Family.ML_KEM: (ENCAPSULATE_DECAPSULATE,),
    Family.SM2: (ENCRYPT_DECRYPT, SIGN_VERIFY, KEY_AGREEMENT),
}

_RSA_SIGNING = tuple(f"RSASSA_{p}_SHA_{n}" for p in ("PSS", "PKCS1_V1_5") for n in (256, 384, 512))
_SIGNING: dict[str, tuple[str, ...]] = {
    "RSA_2048": _RSA_SIGNING, "RSA_3072": _RSA_SIGNING, "RSA_4096": _RSA_SIGNING,
    "ECC_NIST_P256": ("ECDSA_SHA_256",), "ECC_NIST_P384": ("ECDSA_SHA_384",),
    "ECC_NIST_P521": ("ECDSA_SHA_512",), "ECC_SECG_P256K1": ("ECDSA_SHA_256",),
    "ECC_NIST_EDWARDS25519": ("ED25519_SHA_512", "ED25519_PH_SHA_512"),
    "ML_DSA_44": ("ML_DSA_SHAKE_256",), "ML_DSA_65": ("ML_DSA_SHAKE_256",), "ML_DSA_87": ("ML_DSA_SHAKE_256",),
    "SM2": ("SM2DSA",),
}
_ENCRYPTION: dict[Family, tuple[str, ...]] = {
    Family.SYMMETRIC: (SYMMETRIC_DEFAULT,),
    Family.RSA: ("RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"),
    Family.SM2: ("SM2PKE",),
}

DIGEST_BYTES = {"SHA_256": 32, "SHA_384": 48, "SHA_512": 64}
EXTERNAL_MU_BYTES = 64

# GenerateDataKeyPair[WithoutPlaintext]: every KeyPairSpec of the model.
DATA_KEY_PAIR_SPECS = (
    "RSA_2048", "RSA_3072", "RSA_4096", "ECC_NIST_P256", "ECC_NIST_P384", "ECC_NIST_P521", "ECC_SECG_P256K1",
    "SM2", "ECC_NIST_EDWARDS25519", "ML_KEM_512", "ML_KEM_768", "ML_KEM_1024",
)


@dataclass(frozen=True, slots=True)
class Algorithms:
    """The algorithm lists AWS reports for a key (DescribeKey, GetPublicKey); empty lists are left out."""

    encryption: tuple[str, ...] = ()
    signing: tuple[str, ...] = ()
    mac: tuple[str, ...] = ()
    key_agreement: tuple[str, ...] = ()
    encapsulation: tuple[str, ...] = ()


def family(key_spec: str) -> Family:
    try:
        return FAMILY[key_spec]
    except KeyError:
        raise InvalidRequestError(f"KeySpec {key_spec} is not a valid key spec.") from None


def is_asymmetric(key_spec: str) -> bool:
    return family(key_spec) not in (Family.SYMMETRIC, Family.HMAC)


def algorithms(key_spec: str, key_usage: str) -> Algorithms:
    fam = family(key_spec)
    if key_usage == ENCRYPT_DECRYPT:
        return Algorithms(encryption=_ENCRYPTION.get(fam, ()))
    if key_usage == SIGN_VERIFY:
        return Algorithms(signing=_SIGNING.get(key_spec, ()))
    if key_usage == GENERATE_VERIFY_MAC:
        return Algorithms(mac=(f"HMAC_SHA_{key_spec.removeprefix('HMAC_')}",) if fam is Family.HMAC else ())
    if key_usage == KEY_AGREEMENT:
        return Algorithms(key_agreement=("ECDH",))
    if key_usage == ENCAPSULATE_DECAPSULATE:
        return Algorithms(encapsulation=("ML_KEM",))
    return Algorithms()


def check_usage_for_spec(key_spec: str, key_usage: str) -> None:
    """CreateKey's rule: a spec allows only its usages (AWS answers ValidationException otherwise)."""
    if key_usage not in USAGES[family(key_spec)]:
        raise InvalidRequestError(f"KeyUsage {key_usage} is not compatible with KeySpec {key_spec}.")


def check_algorithm(key_spec: str, allowed: tuple[str, ...], algorithm: str) -> None:
    """An algorithm the key cannot do is AWS's InvalidKeyUsageException, worded as AWS words it."""
    if algorithm not in allowed:
        raise KeyUsageError(f"Algorithm {algorithm} is incompatible with key spec {key_spec}.")


def signing_hash(algorithm: str) -> str | None:
    """'SHA_256', 'SHA_384' or 'SHA_512' for the algorithms that hash with SHA-2; None for ML-DSA (SHAKE)."""
    for name in DIGEST_BYTES:
        if algorithm.endswith(name):
            return name
    return None


def check_message(algorithm: str, message_type: str, message: bytes) -> None:
    """How a Sign/Verify message must look for ``algorithm`` (AWS's rules for MessageType)."""
    if message_type not in MESSAGE_TYPES:
        raise InvalidRequestError(f"MessageType {message_type} is not valid.")
    if algorithm == "ML_DSA_SHAKE_256":
        if message_type == DIGEST:
            raise InvalidRequestError("ML_DSA_SHAKE_256 accepts MessageType RAW or EXTERNAL_MU, not DIGEST.")
        if message_type == EXTERNAL_MU and len(message) != EXTERNAL_MU_BYTES:
            raise InvalidRequestError(f"An EXTERNAL_MU message must be {EXTERNAL_MU_BYTES} bytes long.")
        return
    if message_type == EXTERNAL_MU:
        raise InvalidRequestError(f"MessageType EXTERNAL_MU is valid only with ML_DSA_SHAKE_256, not {algorithm}.")
    if algorithm == "ED25519_SHA_512" and message_type != RAW:
        raise InvalidRequestError("ED25519_SHA_512 requires MessageType RAW.")
    if algorithm == "ED25519_PH_SHA_512" and message_type != DIGEST:
        raise InvalidRequestError("ED25519_PH_SHA_512 requires MessageType DIGEST.")
    hash_name = signing_hash(algorithm)
    if message_type == DIGEST and hash_name is not None and len(message) != DIGEST_BYTES[hash_name]:
        raise InvalidRequestError(f"Digest is invalid length for algorithm {algorithm}: a {hash_name} digest is "
                                  f"{DIGEST_BYTES[hash_name]} bytes, not {len(message)}.")


def rsa_plaintext_limit(key_spec: str, algorithm: str) -> int:
    """AWS's cap for RSAES-OAEP: modulus bytes - 2 * hash bytes - 2 (RSA_2048 + OAEP-SHA-256: 190)."""
    hash_bytes = 20 if algorithm == "RSAES_OAEP_SHA_1" else 32
    return int(key_spec.removeprefix("RSA_")) // 8 - 2 * hash_bytes - 2


def check_data_key_pair_spec(key_pair_spec: str) -> None:
    if key_pair_spec not in DATA_KEY_PAIR_SPECS:
        raise InvalidRequestError(f"KeyPairSpec {key_pair_spec} is not a data key pair spec.")


# --- imported key material -----------------------------------------------------------------------------

WRAPPING_ALGORITHMS = ("RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256", "RSA_AES_KEY_WRAP_SHA_1",
                       "RSA_AES_KEY_WRAP_SHA_256")
WRAPPING_KEY_SPECS = ("RSA_2048", "RSA_3072", "RSA_4096")
IMPORT_TOKEN_SECONDS = 24 * 3600
MAX_VALID_TO_SECONDS = 365 * 24 * 3600
KEY_MATERIAL_EXPIRES = "KEY_MATERIAL_EXPIRES"
KEY_MATERIAL_DOES_NOT_EXPIRE = "KEY_MATERIAL_DOES_NOT_EXPIRE"
NEW_KEY_MATERIAL = "NEW_KEY_MATERIAL"
EXISTING_KEY_MATERIAL = "EXISTING_KEY_MATERIAL"


def check_wrapping(algorithm: str, wrapping_key_spec: str) -> None:
    """GetParametersForImport's choices, as AWS offers them outside the China Regions."""
    if algorithm == "RSAES_PKCS1_V1_5":
        raise UnsupportedError("The RSAES_PKCS1_V1_5 wrapping algorithm is not supported (AWS KMS stopped "
                               "accepting it on October 10, 2023); use RSAES_OAEP_SHA_256 or "
                               "RSA_AES_KEY_WRAP_SHA_256.")
    if algorithm == "SM2PKE" or wrapping_key_spec == "SM2":
        raise UnsupportedError("SM2 wrapping (SM2PKE, WrappingKeySpec SM2) exists only in the AWS China Regions "
                               "and is not supported by this server.")
    if algorithm not in WRAPPING_ALGORITHMS:
        raise InvalidRequestError(f"WrappingAlgorithm {algorithm} is not valid.")
    if wrapping_key_spec not in WRAPPING_KEY_SPECS:
        raise InvalidRequestError(f"WrappingKeySpec {wrapping_key_spec} is not valid.")


def hmac_key_lengths(key_spec: str) -> tuple[int, int]:
    """(generated and minimum imported length, maximum imported length = the hash's block size), in bytes."""
    bits = int(key_spec.removeprefix("HMAC_"))
    return bits // 8, 64 if bits <= 256 else 128


# --- grants ----------------------------------------------------------------------------------------------

_GRANT_COMMON = ("CreateGrant", "RetireGrant", "DescribeKey")
_GRANT_OPERATIONS: dict[str, tuple[str, ...]] = {
    ENCRYPT_DECRYPT: ("Decrypt", "Encrypt", "ReEncryptFrom", "ReEncryptTo", "GetPublicKey"),
    SIGN_VERIFY: ("Sign", "Verify", "GetPublicKey"),
    GENERATE_VERIFY_MAC: ("GenerateMac", "VerifyMac"),
    KEY_AGREEMENT: ("DeriveSharedSecret", "GetPublicKey"),
    ENCAPSULATE_DECAPSULATE: ("Encapsulate", "Decapsulate", "GetPublicKey"),
}
_SYMMETRIC_GRANT_OPERATIONS = ("Decrypt", "Encrypt", "GenerateDataKey", "GenerateDataKeyWithoutPlaintext",
                               "ReEncryptFrom", "ReEncryptTo", "GenerateDataKeyPair",
                               "GenerateDataKeyPairWithoutPlaintext")


def grant_operations(key_spec: str, key_usage: str) -> frozenset[str]:
    """The grant operations AWS accepts for a key of this spec and usage."""
    if family(key_spec) is Family.SYMMETRIC:
        return frozenset(_SYMMETRIC_GRANT_OPERATIONS + _GRANT_COMMON)
    return frozenset(_GRANT_OPERATIONS.get(key_usage, ()) + _GRANT_COMMON)
