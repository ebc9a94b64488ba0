import pytest

from strongroom.crypto import ciphertext_blob
from strongroom.crypto.aead import Aead, new_key
from strongroom.crypto.wrapping import KeyEncryptionKey
from strongroom.errors import InvalidCiphertextError

KEY_ID = "1234abcd-12ab-34cd-56ef-1234567890ab"


@pytest.fixture
def aead():
    return Aead(new_key())


def test_round_trip_and_header(aead):
    blob = ciphertext_blob.seal(aead, KEY_ID, 7, b"secret", b"ctx")
    header = ciphertext_blob.read_header(blob)
    assert (header.key_id, header.version) == (KEY_ID, 7)
    assert ciphertext_blob.open_blob(aead, blob, b"ctx") == b"secret"
    assert b"secret" not in blob


def test_nonce_is_fresh_each_time(aead):
    assert ciphertext_blob.seal(aead, KEY_ID, 1, b"x", b"") != ciphertext_blob.seal(aead, KEY_ID, 1, b"x", b"")


def test_size_cap_for_largest_plaintext(aead):
    assert len(ciphertext_blob.seal(aead, KEY_ID, 1, b"x" * 4096, b"")) <= 6144


@pytest.mark.parametrize("position", [0, 5, 18, 20, 25, -1])
def test_any_flipped_bit_is_one_opaque_error(aead, position):
    blob = bytearray(ciphertext_blob.seal(aead, KEY_ID, 1, b"secret", b""))
    blob[position] ^= 1
    with pytest.raises(InvalidCiphertextError) as info:
        ciphertext_blob.read_header(bytes(blob))
        ciphertext_blob.open_blob(aead, bytes(blob), b"")
    assert info.value.message == ""


def test_wrong_context_and_truncation(aead):
    blob = ciphertext_blob.seal(aead, KEY_ID, 1, b"secret", b"ctx")
    with pytest.raises(InvalidCiphertextError):
        ciphertext_blob.open_blob(aead, blob, b"other")
    with pytest.raises(InvalidCiphertextError):
        ciphertext_blob.read_header(blob[:30])


def test_wrapping_is_bound_to_its_label():
    kek = KeyEncryptionKey(new_key())
    wrapped = kek.wrap(b"material", "key-material/a/1")
    assert kek.unwrap(wrapped, "key-material/a/1") == b"material"
    with pytest.raises(InvalidCiphertextError):
        kek.unwrap(wrapped, "key-material/b/1")


def test_secrets_are_not_printable_or_picklable(aead):
    import pickle

    assert "secret" in repr(aead)
    with pytest.raises(TypeError):
        pickle.dumps(aead)
