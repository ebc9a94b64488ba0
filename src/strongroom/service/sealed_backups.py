"""Sealed backups of named keys: every enabled version's material and the key's attributes in one blob, encrypted
under the account's backup key, so that a key that is not exportable can still be backed up and restored (what
cloud key APIs call backup / restore). The material never leaves in the clear; only a caller of the same account
can restore the blob, as a key of the same spec, through ``NamedKeyService.restore``.

Blob: ``b"SRB1"`` | backup-key version (uint32 BE) | AES-256-GCM output of the backup key's version (nonce,
ciphertext, tag), associated data = the label and the account id. The backup key is a ``SYMMETRIC_DEFAULT`` named
key (``BACKUP_KEY_NAME`` in ``BACKUP_NAME_SPACE`` of the account), made on first use.

Authorization: backup is ``kms:BackupKey`` on the key (per version used); restore is ``kms:RestoreKey``.
"""

from __future__ import annotations

import json

from strongroom.domain.actions import Action
from strongroom.domain.context import RequestContext
from strongroom.errors import AlreadyExistsError, InvalidCiphertextError, KeyStateError
from strongroom.service.named_keys import NamedKey, NamedKeyService, VersionBackup

BACKUP_NAME_SPACE = "core:sealed-backups"
BACKUP_KEY_NAME = "backup-key"
_MAGIC = b"SRB1"
_LABEL = b"strongroom/sealed-backup/v1|"


class SealedBackups:
    def __init__(self, named_keys: NamedKeyService) -> None:
        self._named = named_keys

    def _backup_key(self, ctx: RequestContext) -> None:
        if not self._named.exists(ctx, BACKUP_NAME_SPACE, BACKUP_KEY_NAME):
            try:
                self._named.create(ctx, BACKUP_NAME_SPACE, BACKUP_KEY_NAME, "SYMMETRIC_DEFAULT")
            except AlreadyExistsError:  # made meanwhile
                pass

    def backup(self, ctx: RequestContext, name_space: str, name: str) -> bytes:
        described = self._named.describe(ctx, name_space, name)
        versions = []
        for number, created_at in sorted(described.versions.items()):
            try:
                use = self._named.use(ctx, name_space, name, Action.BACKUP_KEY, number, opening=True)
            except KeyStateError:  # a disabled version stays out of the backup
                continue
            versions.append({"number": number, "created_at": created_at, "entry": use.material.backup_entry()})
        key = described.key
        ctx.note.version(key.current_version)
        plain = json.dumps({"name": name, "key_spec": key.key_spec, "latest": key.current_version,
                              "min_decryption_version": key.min_decryption_version,
                              "attributes": key.attributes, "versions": versions}).encode()
        self._backup_key(ctx)
        sealing = self._named.use(_quiet(ctx), BACKUP_NAME_SPACE, BACKUP_KEY_NAME, Action.ENCRYPT)
        sealed = sealing.material.encrypt(plain, associated_data=_aad(ctx))
        return _MAGIC + sealing.version.to_bytes(4, "big") + sealed

    def restore(self, ctx: RequestContext, name_space: str, blob: bytes) -> NamedKey:
        """The key a backup holds, restored under its name (AlreadyExistsError if that name is taken)."""
        if len(blob) < 8 or not blob.startswith(_MAGIC):
            raise InvalidCiphertextError()
        version = int.from_bytes(blob[4:8], "big")
        if not self._named.exists(ctx, BACKUP_NAME_SPACE, BACKUP_KEY_NAME):
            raise InvalidCiphertextError()
        opening = self._named.use(_quiet(ctx), BACKUP_NAME_SPACE, BACKUP_KEY_NAME, Action.DECRYPT, version,
                                  opening=True)
        try:
            data = json.loads(opening.material.decrypt(blob[8:], associated_data=_aad(ctx)))
        except (InvalidCiphertextError, ValueError):
            raise InvalidCiphertextError() from None
        versions = [VersionBackup(v["number"], v["created_at"], v["entry"]) for v in data["versions"]]
        return self._named.restore(ctx, name_space, data["name"], data["key_spec"], versions,
                                   latest_version=data["latest"],
                                   min_decryption_version=min(max(data["min_decryption_version"], 1),
                                                              data["latest"]),
                                   attributes=data["attributes"])


def _aad(ctx: RequestContext) -> bytes:
    return _LABEL + ctx.caller.account_id.encode()


def _quiet(ctx: RequestContext) -> RequestContext:
    """The same caller, noting nothing: the audit event names the key backed up or restored, not the backup key."""
    return RequestContext(ctx.caller, ctx.region, ctx.source_ip, ctx.secure_transport, ctx.request_id, ctx.protocol)
