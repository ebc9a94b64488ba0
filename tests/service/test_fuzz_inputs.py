"""Fuzzing what a caller hands the core as opaque bytes or documents: ciphertext blobs (a real one mutated by bit
flips, truncation and extension), key policies (real ones mutated), import tokens and wrapped material, and backup
files. Property: one clean error of the kind AWS would name (opaque for ciphertexts), never another exception.
Bounded for ``make test``: ``STRONGROOM_FUZZ_EXAMPLES`` examples per input (default 40)."""

from __future__ import annotations

import json
import os
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from strongroom.domain.references import KeyRef
from strongroom.errors import (
    IncorrectKeyError,
    InvalidCiphertextError,
    InvalidImportTokenError,
    InvalidRequestError,
    MalformedPolicyError,
    StrongroomError,
)
from strongroom.storage import backup
from strongroom.trust.key_file import FileRootOfTrust
from tests.storage.test_backup import unwrapper

EXAMPLES = int(os.environ.get("STRONGROOM_FUZZ_EXAMPLES", "40"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


def _mutated(original: bytes) -> st.SearchStrategy[bytes]:
    """Bit flips, truncations, extensions and splices of ``original``, never ``original`` itself."""
    flip = st.tuples(st.integers(0, len(original) - 1), st.integers(0, 7)).map(
        lambda at: original[:at[0]] + bytes([original[at[0]] ^ (1 << at[1])]) + original[at[0] + 1:])
    cut = st.integers(0, len(original) - 1).map(lambda n: original[:n])
    grown = st.binary(min_size=1, max_size=64).map(lambda extra: original + extra)
    spliced = st.tuples(st.integers(0, len(original)), st.binary(max_size=32)).map(
        lambda s: original[:s[0]] + s[1] + original[s[0]:])
    return st.one_of(flip, cut, grown, spliced, st.binary(max_size=200)).filter(lambda b: b != original)


def test_mutated_ciphertexts_fail_opaquely(core, ctx) -> None:  # type: ignore[no-untyped-def]
    key = core.keys.create_key(ctx)
    blob = core.crypto.encrypt(ctx, KeyRef(key.key_id), b"the real plaintext", {"purpose": "fuzz"}).ciphertext

    @FUZZ
    @given(_mutated(blob))
    def one(data: bytes) -> None:
        try:
            opened = core.crypto.decrypt(ctx, data, {"purpose": "fuzz"})
        except (InvalidCiphertextError, IncorrectKeyError, InvalidRequestError):
            return
        except StrongroomError as exc:  # a key that does not exist is named as such: still a clean refusal
            assert type(exc).__name__ in ("NotFoundError",), exc
            return
        raise AssertionError(f"a mutated ciphertext decrypted to {opened.plaintext!r}")

    one()


def test_mutated_key_policies_are_refused_cleanly_or_accepted_as_valid(core, ctx) -> None:  # type: ignore[no-untyped-def]
    policy = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Sid": "root", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ctx.caller.account_id}:root"},
         "Action": "kms:*", "Resource": "*"}]}).encode()

    @FUZZ
    @given(_mutated(policy))
    def one(data: bytes) -> None:
        text = data.decode("utf-8", "replace")
        key = core.keys.create_key(ctx)  # a key of its own: a valid mutant may lock its key's owner out
        try:
            core.keys.put_key_policy(ctx, KeyRef(key.key_id), None, text, bypass_policy_lockout_check=True)
        except (MalformedPolicyError, InvalidRequestError):
            return
        except StrongroomError as exc:
            assert type(exc).__name__ in ("LimitExceededError",), exc

    one()
    key = core.keys.create_key(ctx)
    assert core.keys.put_key_policy(ctx, KeyRef(key.key_id), None, policy.decode()).key_id == key.key_id


def test_mutated_import_tokens_and_material_are_refused(core, ctx) -> None:  # type: ignore[no-untyped-def]
    key = core.keys.create_key(ctx, origin="EXTERNAL")
    parameters = core.key_import.get_parameters_for_import(ctx, KeyRef(key.key_id), "RSAES_OAEP_SHA_256", "RSA_2048")
    token = parameters.import_token

    @FUZZ
    @given(_mutated(token), st.binary(min_size=1, max_size=300))
    def one(bad_token: bytes, material: bytes) -> None:
        try:
            core.key_import.import_key_material(ctx, KeyRef(key.key_id), bad_token, material,
                                                expiration_model="KEY_MATERIAL_DOES_NOT_EXPIRE")
        except (InvalidImportTokenError, InvalidCiphertextError, InvalidRequestError):
            return
        except StrongroomError as exc:
            assert type(exc).__name__ in ("IncorrectKeyMaterialError",), exc
            return
        raise AssertionError("a mutated import token was accepted")

    one()


def test_mutated_backup_files_are_refused(data_dir: Path, core, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    root = FileRootOfTrust(data_dir / "root.key")
    path = tmp_path / "backup.sr"
    backup.write(path, backup.take(core._store), unwrapper(root))  # type: ignore[arg-type]
    original = path.read_bytes()
    assert backup.read(path, unwrapper(root)).tables  # type: ignore[arg-type]

    @FUZZ
    @given(_mutated(original))
    def one(data: bytes) -> None:
        if data.rstrip() == original.rstrip():
            return  # the same backup: only the whitespace after its MAC line differs
        path.write_bytes(data)
        try:
            backup.read(path, unwrapper(root))  # type: ignore[arg-type]
        except backup.BackupError:
            return
        raise AssertionError("a mutated backup was read")

    one()
