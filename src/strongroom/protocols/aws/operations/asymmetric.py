"""Asymmetric operations: Sign, Verify, GetPublicKey, DeriveSharedSecret, Encapsulate, Decapsulate."""

from __future__ import annotations

from typing import Any

from strongroom.domain.context import RequestContext
from strongroom.errors import UnsupportedError
from strongroom.protocols.aws import shapes
from strongroom.protocols.aws.key_ids import key_ref
from strongroom.protocols.aws.operations.crypto import RECIPIENT_UNSUPPORTED
from strongroom.service.core import Core


def sign(core: Core, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
    key, signature = core.asymmetric.sign(ctx, key_ref(p["KeyId"]), p["Message"], p["SigningAlgorithm"],
                                          p.get("MessageType"),
                                          check_only=bool(p.get("DryRun")))
    return {"KeyId": key.arn, "Signature": signature, "SigningAlgorithm": p["SigningAlgorithm"]}


def verify(core: Core, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
    key = core.asymmetric.verify(ctx, key_ref(p["KeyId"]), p["Message"], p["Signature"], p["SigningAlgorithm"],
                                 p.get("MessageType"), check_only=bool(p.get("DryRun")))
    return {"KeyId": key.arn, "SignatureValid": True, "SigningAlgorithm": p["SigningAlgorithm"]}


def get_public_key(core: Core, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
    found = core.asymmetric.get_public_key(ctx, key_ref(p["KeyId"]))
    key = found.key
    return {"KeyId": key.arn, "PublicKey": found.der, **shapes.spec_members(key.key_spec), "KeyUsage": key.key_usage,
            **shapes.algorithm_lists(found.algorithms)}


def derive_shared_secret(core: Core, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
    if p.get("Recipient"):
        raise UnsupportedError(RECIPIENT_UNSUPPORTED)
    done = core.asymmetric.derive_shared_secret(ctx, key_ref(p["KeyId"]), p["KeyAgreementAlgorithm"], p["PublicKey"],
                                                check_only=bool(p.get("DryRun")))
    return {"KeyId": done.key.arn, "SharedSecret": done.shared_secret,
            "KeyAgreementAlgorithm": p["KeyAgreementAlgorithm"], "KeyOrigin": done.key.origin}


def encapsulate(core: Core, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
    done = core.asymmetric.encapsulate(ctx, key_ref(p["KeyId"]), p["EncapsulationAlgorithm"],
                                       check_only=bool(p.get("DryRun")))
    return {"KeyId": done.key.arn, "SharedSecret": done.shared_secret, "SharedSecretCiphertextBlob": done.ciphertext,
            "EncapsulationAlgorithm": p["EncapsulationAlgorithm"]}


def decapsulate(core: Core, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
    done = core.asymmetric.decapsulate(ctx, key_ref(p["KeyId"]), p["SharedSecretCiphertextBlob"],
                                       p["EncapsulationAlgorithm"],
                                       check_only=bool(p.get("DryRun")))
    return {"KeyId": done.key.arn, "SharedSecret": done.shared_secret,
            "EncapsulationAlgorithm": p["EncapsulationAlgorithm"]}


HANDLERS = {
    "Sign": sign,
    "Verify": verify,
    "GetPublicKey": get_public_key,
    "DeriveSharedSecret": derive_shared_secret,
    "Encapsulate": encapsulate,
    "Decapsulate": decapsulate,
}
