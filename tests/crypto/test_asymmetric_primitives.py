"""Each asymmetric primitive against pyca/cryptography used directly: what the key signs verifies outside
with only its public key, what is signed outside verifies inside, DIGEST equals RAW without a second hash."""

import copy
import hashlib
import pickle

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, utils

from strongroom.crypto import keygen
from strongroom.crypto.asymmetric import EcKey, Ed25519Key, MlDsaKey, MlKemKey, RsaKey
from strongroom.crypto.materials import load_usable
from strongroom.errors import InvalidCiphertextError, InvalidRequestError, UnsupportedError

HASHES = {"SHA_256": (hashes.SHA256, hashlib.sha256), "SHA_384": (hashes.SHA384, hashlib.sha384),
          "SHA_512": (hashes.SHA512, hashlib.sha512)}
MESSAGE = b"the quick brown fox" * 10


@pytest.fixture(scope="module")
def rsa_key() -> RsaKey:
    usable = load_usable("RSA_2048", keygen.new_material("RSA_2048"))
    assert isinstance(usable, RsaKey)
    return usable


def public(usable):
    return serialization.load_der_public_key(usable.public_key_der())


@pytest.mark.parametrize("algorithm", [f"RSASSA_{p}_SHA_{n}" for p in ("PSS", "PKCS1_V1_5") for n in (256, 384, 512)])
def test_rsa_signatures_verify_outside_and_digest_equals_raw(rsa_key, algorithm):
    pyca_hash, stdlib_hash = HASHES[algorithm[-7:]]
    pad = (padding.PSS(padding.MGF1(pyca_hash()), padding.PSS.DIGEST_LENGTH) if "PSS" in algorithm
           else padding.PKCS1v15())
    raw = rsa_key.sign(algorithm, MESSAGE, "RAW")
    digest = stdlib_hash(MESSAGE).digest()
    signed_digest = rsa_key.sign(algorithm, digest, "DIGEST")
    for signature in (raw, signed_digest):  # a DIGEST is not hashed again: both are signatures over MESSAGE
        public(rsa_key).verify(signature, MESSAGE, pad, pyca_hash())
        assert rsa_key.verify(algorithm, MESSAGE, "RAW", signature)
        assert rsa_key.verify(algorithm, digest, "DIGEST", signature)
    assert not rsa_key.verify(algorithm, MESSAGE + b"!", "RAW", raw)
    assert not rsa_key.verify(algorithm, stdlib_hash(digest).digest(), "DIGEST", raw)  # moto's bug: re-hashing


def test_rsa_oaep_both_ways(rsa_key):
    for algorithm, h in (("RSAES_OAEP_SHA_1", hashes.SHA1), ("RSAES_OAEP_SHA_256", hashes.SHA256)):
        oaep = padding.OAEP(padding.MGF1(h()), h(), None)
        outside = public(rsa_key).encrypt(b"plaintext", oaep)
        assert rsa_key.decrypt(algorithm, outside) == b"plaintext"
        private = serialization.load_der_private_key(keygen.pkcs8(rsa_key._private), None)  # noqa: SLF001
        assert private.decrypt(rsa_key.encrypt(algorithm, b"back"), oaep) == b"back"
    with pytest.raises(InvalidCiphertextError):
        rsa_key.decrypt("RSAES_OAEP_SHA_1", public(rsa_key).encrypt(b"x", padding.OAEP(
            padding.MGF1(hashes.SHA256()), hashes.SHA256(), None)))


@pytest.mark.parametrize(("spec", "algorithm"), [
    ("ECC_NIST_P256", "ECDSA_SHA_256"), ("ECC_NIST_P384", "ECDSA_SHA_384"), ("ECC_NIST_P521", "ECDSA_SHA_512"),
    ("ECC_SECG_P256K1", "ECDSA_SHA_256"),
])
def test_ecdsa_both_ways_and_digest(spec, algorithm):
    usable = load_usable(spec, keygen.new_material(spec))
    assert isinstance(usable, EcKey)
    pyca_hash, stdlib_hash = HASHES[algorithm[-7:]]
    digest = stdlib_hash(MESSAGE).digest()
    for signature in (usable.sign(algorithm, MESSAGE, "RAW"), usable.sign(algorithm, digest, "DIGEST")):
        public(usable).verify(signature, MESSAGE, ec.ECDSA(pyca_hash()))
    outside_key = serialization.load_der_private_key(keygen.pkcs8(usable._private), None)  # noqa: SLF001
    outside = outside_key.sign(digest, ec.ECDSA(utils.Prehashed(pyca_hash())))
    assert usable.verify(algorithm, MESSAGE, "RAW", outside) and usable.verify(algorithm, digest, "DIGEST", outside)
    assert not usable.verify(algorithm, MESSAGE, "RAW", b"\x30\x06\x02\x01\x01\x02\x01\x01")


def test_ecdh_agrees_with_the_peer_and_refuses_another_curve():
    usable = load_usable("ECC_NIST_P384", keygen.new_material("ECC_NIST_P384"))
    assert isinstance(usable, EcKey)
    peer = ec.generate_private_key(ec.SECP384R1())
    peer_der = keygen.spki(peer.public_key())
    assert usable.derive_shared_secret(peer_der) == peer.exchange(ec.ECDH(), public(usable))
    with pytest.raises(InvalidRequestError, match="secp384r1"):
        usable.derive_shared_secret(keygen.spki(ec.generate_private_key(ec.SECP256R1()).public_key()))
    with pytest.raises(InvalidRequestError):
        usable.derive_shared_secret(b"not a key")


def test_ed25519_pure_and_prehash_refused():
    usable = load_usable("ECC_NIST_EDWARDS25519", keygen.new_material("ECC_NIST_EDWARDS25519"))
    assert isinstance(usable, Ed25519Key)
    signature = usable.sign("ED25519_SHA_512", MESSAGE, "RAW")
    public(usable).verify(signature, MESSAGE)
    outside = ed25519.Ed25519PrivateKey.from_private_bytes(usable._private.private_bytes_raw())  # noqa: SLF001
    assert usable.verify("ED25519_SHA_512", MESSAGE, "RAW", outside.sign(MESSAGE))
    with pytest.raises(UnsupportedError, match="Ed25519ph"):
        usable.sign("ED25519_PH_SHA_512", hashlib.sha512(MESSAGE).digest(), "DIGEST")


@pytest.mark.parametrize("spec", ["ML_DSA_44", "ML_DSA_65", "ML_DSA_87"])
def test_ml_dsa_pure_and_external_mu(spec):
    usable = load_usable(spec, keygen.new_material(spec))
    assert isinstance(usable, MlDsaKey)
    pub = public(usable)
    signature = usable.sign("ML_DSA_SHAKE_256", MESSAGE, "RAW")
    pub.verify(signature, MESSAGE)
    # FIPS 204: mu = SHAKE256(SHAKE256(pk, 64) || 0x00 || len(ctx)=0 || message, 64)
    tr = hashlib.shake_256(pub.public_bytes_raw()).digest(64)
    mu = hashlib.shake_256(tr + b"\x00\x00" + MESSAGE).digest(64)
    assert usable.verify("ML_DSA_SHAKE_256", mu, "EXTERNAL_MU", signature)
    pub.verify(usable.sign("ML_DSA_SHAKE_256", mu, "EXTERNAL_MU"), MESSAGE)
    with pytest.raises(InvalidSignature):
        pub.verify(signature, MESSAGE + b"!")
    assert not usable.verify("ML_DSA_SHAKE_256", MESSAGE, "RAW", signature[:-1])


@pytest.mark.parametrize(("spec", "ciphertext_bytes"), [("ML_KEM_768", 1088), ("ML_KEM_1024", 1568)])
def test_ml_kem_both_ways(spec, ciphertext_bytes):
    usable = load_usable(spec, keygen.new_material(spec))
    assert isinstance(usable, MlKemKey)
    secret, ciphertext = public(usable).encapsulate()
    assert len(ciphertext) == ciphertext_bytes and usable.decapsulate(ciphertext) == secret
    mine, mine_ct = usable.encapsulate()
    assert usable.decapsulate(mine_ct) == mine and len(mine) == 32
    assert usable.decapsulate(bytes(ciphertext_bytes)) != secret  # implicit rejection, not an error
    with pytest.raises(InvalidCiphertextError):
        usable.decapsulate(ciphertext[:-1])


def test_data_key_pairs_match_and_ml_kem_is_in_seed_form():
    for spec in ("ECC_NIST_P256", "ECC_NIST_EDWARDS25519", "ML_KEM_768", "ML_KEM_1024"):
        private_der, public_der = keygen.new_key_pair(spec)
        private = serialization.load_der_private_key(private_der, None)
        assert keygen.spki(private.public_key()) == public_der
    assert len(keygen.new_key_pair("ML_KEM_768")[0]) == len(keygen.new_key_pair("ML_KEM_1024")[0])


def test_usable_keys_cannot_be_printed_or_pickled(rsa_key):
    hmac_key = load_usable("HMAC_256", keygen.new_material("HMAC_256"))
    for usable in (rsa_key, hmac_key):
        assert "<secret>" in repr(usable)
        with pytest.raises(TypeError):
            pickle.dumps(usable)
        with pytest.raises(TypeError):
            copy.deepcopy(usable)


def test_material_of_the_wrong_spec_is_refused():
    with pytest.raises(ValueError):
        keygen.load_private("ECC_NIST_P384", keygen.new_material("ECC_NIST_P256"))
    with pytest.raises(ValueError):
        keygen.load_private("ML_DSA_65", keygen.new_material("ML_DSA_44"))
    assert keygen.unsupported_reason("ML_KEM_512") is not None and keygen.unsupported_reason("SM2") is not None
