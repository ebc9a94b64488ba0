"""The key-spec table: usages, the algorithm lists AWS reports, Sign/Verify message rules, OAEP caps."""

import pytest

from strongroom.domain import key_specs as specs
from strongroom.errors import InvalidRequestError, KeyUsageError, UnsupportedError


def test_every_model_key_spec_is_known_and_every_usage_has_its_algorithms():
    import botocore.session

    model = botocore.session.get_session().get_service_model("kms")
    assert set(model.shape_for("KeySpec").enum) == set(specs.FAMILY)
    for spec, fam in specs.FAMILY.items():
        for usage in specs.USAGES[fam]:
            found = specs.algorithms(spec, usage)
            lists = [found.encryption, found.signing, found.mac, found.key_agreement, found.encapsulation]
            assert sum(1 for values in lists if values) == 1, (spec, usage)


@pytest.mark.parametrize(("spec", "usage", "expected"), [
    ("SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT", specs.Algorithms(encryption=("SYMMETRIC_DEFAULT",))),
    ("RSA_3072", "ENCRYPT_DECRYPT", specs.Algorithms(encryption=("RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"))),
    ("ECC_NIST_P521", "SIGN_VERIFY", specs.Algorithms(signing=("ECDSA_SHA_512",))),
    ("ECC_SECG_P256K1", "SIGN_VERIFY", specs.Algorithms(signing=("ECDSA_SHA_256",))),
    ("ECC_NIST_P384", "KEY_AGREEMENT", specs.Algorithms(key_agreement=("ECDH",))),
    ("HMAC_384", "GENERATE_VERIFY_MAC", specs.Algorithms(mac=("HMAC_SHA_384",))),
    ("ML_KEM_1024", "ENCAPSULATE_DECAPSULATE", specs.Algorithms(encapsulation=("ML_KEM",))),
    ("ML_DSA_87", "SIGN_VERIFY", specs.Algorithms(signing=("ML_DSA_SHAKE_256",))),
])
def test_algorithm_lists(spec, usage, expected):
    assert specs.algorithms(spec, usage) == expected


@pytest.mark.parametrize(("spec", "usage"), [
    ("SYMMETRIC_DEFAULT", "SIGN_VERIFY"), ("HMAC_256", "ENCRYPT_DECRYPT"), ("ECC_SECG_P256K1", "KEY_AGREEMENT"),
    ("ECC_NIST_P256", "ENCRYPT_DECRYPT"), ("ECC_NIST_EDWARDS25519", "KEY_AGREEMENT"), ("RSA_2048", "KEY_AGREEMENT"),
    ("ML_KEM_768", "SIGN_VERIFY"), ("ML_DSA_44", "ENCAPSULATE_DECAPSULATE"),
])
def test_incompatible_usage_is_a_validation_error(spec, usage):
    with pytest.raises(InvalidRequestError, match=f"KeyUsage {usage} is not compatible with KeySpec {spec}"):
        specs.check_usage_for_spec(spec, usage)


def test_a_foreign_algorithm_is_invalid_key_usage_in_aws_words():
    with pytest.raises(KeyUsageError, match="^Algorithm SYMMETRIC_DEFAULT is incompatible with key spec RSA_4096.$"):
        specs.check_algorithm("RSA_4096", specs.algorithms("RSA_4096", "ENCRYPT_DECRYPT").encryption,
                              "SYMMETRIC_DEFAULT")


@pytest.mark.parametrize(("spec", "algorithm", "limit"), [
    ("RSA_2048", "RSAES_OAEP_SHA_1", 214), ("RSA_2048", "RSAES_OAEP_SHA_256", 190),
    ("RSA_3072", "RSAES_OAEP_SHA_1", 342), ("RSA_3072", "RSAES_OAEP_SHA_256", 318),
    ("RSA_4096", "RSAES_OAEP_SHA_1", 470), ("RSA_4096", "RSAES_OAEP_SHA_256", 446),
])
def test_rsa_plaintext_caps_are_aws_numbers(spec, algorithm, limit):
    assert specs.rsa_plaintext_limit(spec, algorithm) == limit


@pytest.mark.parametrize(("algorithm", "length"), [
    ("RSASSA_PSS_SHA_256", 32), ("RSASSA_PKCS1_V1_5_SHA_384", 48), ("ECDSA_SHA_512", 64),
    ("ED25519_PH_SHA_512", 64),
])
def test_digest_length_is_checked(algorithm, length):
    specs.check_message(algorithm, "DIGEST", b"d" * length)
    for wrong in (length - 1, length + 1):
        with pytest.raises(InvalidRequestError, match="Digest is invalid length"):
            specs.check_message(algorithm, "DIGEST", b"d" * wrong)


def test_message_type_rules():
    specs.check_message("ED25519_SHA_512", "RAW", b"m")
    specs.check_message("ML_DSA_SHAKE_256", "EXTERNAL_MU", b"u" * 64)
    specs.check_message("ML_DSA_SHAKE_256", "RAW", b"m" * 4096)
    refused = [("ED25519_SHA_512", "DIGEST", b"d" * 64), ("ED25519_PH_SHA_512", "RAW", b"m"),
               ("ML_DSA_SHAKE_256", "DIGEST", b"d" * 64), ("ML_DSA_SHAKE_256", "EXTERNAL_MU", b"u" * 63),
               ("ECDSA_SHA_256", "EXTERNAL_MU", b"u" * 64), ("ECDSA_SHA_256", "HASHED", b"d" * 32)]
    for algorithm, message_type, message in refused:
        with pytest.raises(InvalidRequestError):
            specs.check_message(algorithm, message_type, message)


def test_wrapping_choices():
    for algorithm in specs.WRAPPING_ALGORITHMS:
        for spec in specs.WRAPPING_KEY_SPECS:
            specs.check_wrapping(algorithm, spec)
    with pytest.raises(UnsupportedError, match="October 10, 2023"):
        specs.check_wrapping("RSAES_PKCS1_V1_5", "RSA_2048")
    with pytest.raises(UnsupportedError, match="China Regions"):
        specs.check_wrapping("SM2PKE", "SM2")


def test_hmac_lengths_and_grant_operations():
    assert specs.hmac_key_lengths("HMAC_224") == (28, 64)
    assert specs.hmac_key_lengths("HMAC_512") == (64, 128)
    assert "Sign" in specs.grant_operations("ECC_NIST_P256", "SIGN_VERIFY")
    assert "Encrypt" not in specs.grant_operations("ECC_NIST_P256", "SIGN_VERIFY")
    assert "GenerateDataKeyPair" in specs.grant_operations("SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT")
    assert "GenerateDataKey" not in specs.grant_operations("RSA_2048", "ENCRYPT_DECRYPT")
