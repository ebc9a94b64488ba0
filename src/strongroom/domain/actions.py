"""What a caller may be allowed to do: one neutral action per core operation.

Every protocol's request maps to these; each value is the name stored policies use (AWS's ``kms:*`` action
names), so a key policy or identity policy decides a Vault or KMIP request exactly as an AWS one. Actions
that AWS lacks carry names in the same namespace, so a ``kms:*`` statement covers them too.
"""

from __future__ import annotations

import enum


class Action(enum.StrEnum):
    CREATE_KEY = "kms:CreateKey"
    DESCRIBE_KEY = "kms:DescribeKey"
    LIST_KEYS = "kms:ListKeys"
    ENABLE_KEY = "kms:EnableKey"
    DISABLE_KEY = "kms:DisableKey"
    SCHEDULE_KEY_DELETION = "kms:ScheduleKeyDeletion"
    CANCEL_KEY_DELETION = "kms:CancelKeyDeletion"
    UPDATE_KEY_DESCRIPTION = "kms:UpdateKeyDescription"
    ENCRYPT = "kms:Encrypt"
    DECRYPT = "kms:Decrypt"
    RE_ENCRYPT_FROM = "kms:ReEncryptFrom"
    RE_ENCRYPT_TO = "kms:ReEncryptTo"
    GENERATE_DATA_KEY = "kms:GenerateDataKey"
    GENERATE_DATA_KEY_WITHOUT_PLAINTEXT = "kms:GenerateDataKeyWithoutPlaintext"
    GENERATE_DATA_KEY_PAIR = "kms:GenerateDataKeyPair"
    GENERATE_DATA_KEY_PAIR_WITHOUT_PLAINTEXT = "kms:GenerateDataKeyPairWithoutPlaintext"
    GENERATE_RANDOM = "kms:GenerateRandom"
    SIGN = "kms:Sign"
    VERIFY = "kms:Verify"
    GET_PUBLIC_KEY = "kms:GetPublicKey"
    GENERATE_MAC = "kms:GenerateMac"
    VERIFY_MAC = "kms:VerifyMac"
    DERIVE_SHARED_SECRET = "kms:DeriveSharedSecret"
    ENCAPSULATE = "kms:Encapsulate"
    DECAPSULATE = "kms:Decapsulate"
    GET_PARAMETERS_FOR_IMPORT = "kms:GetParametersForImport"
    IMPORT_KEY_MATERIAL = "kms:ImportKeyMaterial"
    DELETE_IMPORTED_KEY_MATERIAL = "kms:DeleteImportedKeyMaterial"
    CREATE_ALIAS = "kms:CreateAlias"
    UPDATE_ALIAS = "kms:UpdateAlias"
    DELETE_ALIAS = "kms:DeleteAlias"
    LIST_ALIASES = "kms:ListAliases"
    ENABLE_KEY_ROTATION = "kms:EnableKeyRotation"
    DISABLE_KEY_ROTATION = "kms:DisableKeyRotation"
    GET_KEY_ROTATION_STATUS = "kms:GetKeyRotationStatus"
    ROTATE_KEY_ON_DEMAND = "kms:RotateKeyOnDemand"
    LIST_KEY_ROTATIONS = "kms:ListKeyRotations"
    TAG_RESOURCE = "kms:TagResource"
    UNTAG_RESOURCE = "kms:UntagResource"
    LIST_RESOURCE_TAGS = "kms:ListResourceTags"
    GET_KEY_POLICY = "kms:GetKeyPolicy"
    PUT_KEY_POLICY = "kms:PutKeyPolicy"
    LIST_KEY_POLICIES = "kms:ListKeyPolicies"
    CREATE_GRANT = "kms:CreateGrant"
    LIST_GRANTS = "kms:ListGrants"
    LIST_RETIRABLE_GRANTS = "kms:ListRetirableGrants"
    RETIRE_GRANT = "kms:RetireGrant"
    REVOKE_GRANT = "kms:RevokeGrant"
    GET_KEY_LAST_USAGE = "kms:GetKeyLastUsage"
    EXPORT_KEY = "kms:ExportKey"  # Let key material leave (only keys created exportable; audited).
    BACKUP_KEY = "kms:BackupKey"  # Take a key with all its versions out as a wrapped backup.
    RESTORE_KEY = "kms:RestoreKey"  # Make a key, with all its versions, from a backup (replacing one: DeleteKey too).
    DELETE_KEY = "kms:DeleteKey"  # Delete a key at once (where a protocol allows it and the key allows deletion).
    UPDATE_KEY_CONFIGURATION = "kms:UpdateKeyConfiguration"  # Change a key's version window, flags or attributes.
    # Managing the protocol-level setup of an account (not keys): who may mount engines and write path policies.
    MOUNT_ENGINE = "strongroom:MountEngine"
    UNMOUNT_ENGINE = "strongroom:UnmountEngine"
    MANAGE_PATH_POLICIES = "strongroom:ManagePathPolicies"
