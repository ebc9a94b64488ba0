"""Associated data of either kind (an encryption context or raw bytes) is bound into a ciphertext, and the two
kinds never stand in for each other."""

import pytest

from strongroom.domain.encryption_context import associated_data_bytes, canonical_encryption_context
from strongroom.errors import InvalidCiphertextError


def test_raw_associated_data_is_bound(core, ctx):
    key = core.keys.create_key(ctx)
    sealed = core.crypto.encrypt(ctx, key.key_id, b"payload", b"row-17")
    assert core.crypto.decrypt(ctx, sealed.ciphertext, b"row-17").plaintext == b"payload"
    for wrong in (b"row-18", None, {"row": "17"}):
        with pytest.raises(InvalidCiphertextError):
            core.crypto.decrypt(ctx, sealed.ciphertext, wrong)


def test_raw_bytes_equal_to_a_context_encoding_do_not_open_it(core, ctx):
    key = core.keys.create_key(ctx)
    context = {"tenant": "a"}
    sealed = core.crypto.encrypt(ctx, key.key_id, b"payload", context)
    with pytest.raises(InvalidCiphertextError):
        core.crypto.decrypt(ctx, sealed.ciphertext, canonical_encryption_context(context))
    assert core.crypto.decrypt(ctx, sealed.ciphertext, dict(context)).plaintext == b"payload"


def test_no_data_and_empty_data_are_the_same():
    assert associated_data_bytes(None) == associated_data_bytes(b"") == associated_data_bytes({}) == b""
