"""Get with a Key Wrapping Specification: the material leaves wrapped (Encrypt method, an AES key wrap) under another
object of the caller's whose usage mask allows Wrap Key; the answer carries the Key Wrapping Data.

With the TTLV Encoding Option (the default) the wrapped bytes are the Key Value structure as TTLV; with No Encoding
they are the Key Material alone.
"""

from __future__ import annotations

from dataclasses import dataclass

from strongroom.domain.actions import Action
from strongroom.protocols.kmip.call import Call
from strongroom.protocols.kmip.enums import (
    BlockCipherMode,
    CryptographicUsageMask,
    EncodingOption,
    ResultReason,
    WrappingMethod,
)
from strongroom.protocols.kmip.fields import Fields
from strongroom.protocols.kmip.objects import CryptographicParameters, KeyValue
from strongroom.protocols.kmip.results import Refusal
from strongroom.protocols.kmip.tags import Tag
from strongroom.protocols.kmip.ttlv import Item, ItemType, encode, enumeration, structure, text_string
from strongroom.service.object_use import Wrapping

_MODES = {BlockCipherMode.NIST_KEY_WRAP: "KEY_WRAP", BlockCipherMode.AES_KEY_WRAP_PADDING: "KEY_WRAP_PAD"}


@dataclass(frozen=True, slots=True)
class WrappingPlan:
    core: Wrapping
    data: Item
    """The Key Wrapping Data the answer's Key Block carries."""
    encoded: bool
    """The Key Value is the wrapped TTLV (a Byte String), else a structure whose Key Material is wrapped."""


def wrapping_for(call: Call, specification: Item) -> WrappingPlan:
    fields = Fields(specification, "the Key Wrapping Specification")
    method = fields.one(Tag.WRAPPING_METHOD, ItemType.ENUMERATION)
    information = fields.maybe_item(Tag.ENCRYPTION_KEY_INFORMATION, ItemType.STRUCTURE)
    if fields.take(Tag.MAC_SIGNATURE_KEY_INFORMATION) or fields.take(Tag.ATTRIBUTE_NAME):
        raise Refusal(ResultReason.FEATURE_NOT_SUPPORTED, "keys are wrapped by encryption alone, without attributes")
    option = fields.maybe(Tag.ENCODING_OPTION, ItemType.ENUMERATION)
    fields.done()
    if method != WrappingMethod.ENCRYPT or information is None:
        raise Refusal(ResultReason.FEATURE_NOT_SUPPORTED, "keys are wrapped by the Encrypt method, with a key named")
    key_fields = Fields(information, "the Encryption Key Information")
    wrapping_id = key_fields.one(Tag.UNIQUE_IDENTIFIER, ItemType.TEXT_STRING)
    parameters_item = key_fields.maybe_item(Tag.CRYPTOGRAPHIC_PARAMETERS)
    key_fields.done()
    parameters = CryptographicParameters() if parameters_item is None else \
        CryptographicParameters.from_item(parameters_item)
    mode = _MODES.get(parameters.block_cipher_mode or BlockCipherMode.NIST_KEY_WRAP)  # type: ignore[call-overload]
    if mode is None:
        raise Refusal(ResultReason.FEATURE_NOT_SUPPORTED, "keys are wrapped by a NIST key wrap, padded or not")
    wrapper = call.core.managed_objects.get(call.ctx, wrapping_id, Action.ENCRYPT)
    call.require_usage(wrapper, CryptographicUsageMask.WRAP_KEY)
    encoded = option is None or option == EncodingOption.TTLV_ENCODING
    version = call.version

    def frame(material: bytes) -> bytes:
        return encode(KeyValue(material).to_item(version)) if encoded else material
    data = structure(Tag.KEY_WRAPPING_DATA, [
        enumeration(Tag.WRAPPING_METHOD, WrappingMethod.ENCRYPT),
        structure(Tag.ENCRYPTION_KEY_INFORMATION, [text_string(Tag.UNIQUE_IDENTIFIER, wrapping_id),
                                                   *([parameters_item] if parameters_item is not None else [])]),
        *([enumeration(Tag.ENCODING_OPTION, option)] if option is not None else []),
    ])
    call.params["wrappingKey"] = wrapping_id
    return WrappingPlan(Wrapping(wrapping_id, mode, frame), data, encoded)
