"""A seed file that holds one of everything, with known material, shared by the apply and export tests."""

from __future__ import annotations

import json
import textwrap

from tests.seed.outside import ACCOUNT, KEY_ID, NEW_MATERIAL, OLD_MATERIAL

HMAC_ID = "1b6c3a9e-6a43-4c3e-9d6e-7a1d2c3b4a52"
SIGNING_ID = "2b6c3a9e-6a43-4c3e-9d6e-7a1d2c3b4a53"
EXTERNAL_ID = "3b6c3a9e-6a43-4c3e-9d6e-7a1d2c3b4a54"
AES_OBJECT = "4b6c3a9e-6a43-4c3e-9d6e-7a1d2c3b4a55"
SECRET_OBJECT = "5b6c3a9e-6a43-4c3e-9d6e-7a1d2c3b4a56"
CI_ARN = f"arn:aws:iam::{ACCOUNT}:user/ci"
POLICY = {"Version": "2012-10-17", "Statement": [
    {"Sid": "root", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "kms:*",
     "Resource": "*"},
    {"Sid": "ci-encrypts", "Effect": "Allow", "Principal": {"AWS": CI_ARN}, "Action": "kms:Encrypt",
     "Resource": "*"}]}

SEED = textwrap.dedent(f"""\
    accounts:
      - id: "{ACCOUNT}"
        users:
          - name: ci
        access_keys:
          - {{id: AKIASEEDEDCI0000001, secret: seeded/secret/of/ci/000000000000000000, user: ci}}
    keys:
      - id: {KEY_ID}
        spec: SYMMETRIC_DEFAULT
        description: orders
        tags: {{team: payments}}
        policy: {json.dumps(POLICY)}
        aliases: [alias/orders]
        versions:
          - material: {OLD_MATERIAL.hex()}
          - material: {NEW_MATERIAL.hex()}
        grants:
          - name: ci-decrypts
            grantee: {CI_ARN}
            operations: [Decrypt]
      - id: {HMAC_ID}
        spec: HMAC_256
        state: Disabled
      - id: {SIGNING_ID}
        spec: ECC_NIST_P256
        state: PendingDeletion
        pending_window_days: 7
      - id: {EXTERNAL_ID}
        spec: SYMMETRIC_DEFAULT
        origin: EXTERNAL
    transit:
      - name: orders
        id: 6b6c3a9e-6a43-4c3e-9d6e-7a1d2c3b4a57
        type: aes256-gcm96
        exportable: true
        versions:
          - material: {OLD_MATERIAL.hex()}
          - {{}}
    kmip:
      - id: {AES_OBJECT}
        type: symmetric-key
        spec: AES_256
        name: mongo-master
        material: {OLD_MATERIAL.hex()}
      - id: {SECRET_OBJECT}
        type: secret
        secret_type: password
        state: pre-active
        material: {b"p4ssw0rd".hex()}
    """)
