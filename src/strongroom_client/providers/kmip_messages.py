"""The six KMIP messages of MongoDB's ``kmip`` provider, encoded exactly as libmongocrypt encodes them, and the
parts of the answers it reads.

Register, Activate and Get go out as KMIP 1.0; Create, Encrypt and Decrypt (which only exist from 1.2) as 1.2.
Every message holds one batch item and uses the 1.x TemplateAttribute encoding. Answers are searched by tag, so
any server's ordering or extra fields are accepted.
"""

from __future__ import annotations

from strongroom_client.errors import KmsError
from strongroom_client.providers.ttlv import (
    Item,
    boolean,
    byte_string,
    decode,
    encode,
    enumeration,
    integer,
    structure,
    text,
)

# Tags (KMIP 1.4 §9.1.3.1)
ATTRIBUTE, ATTRIBUTE_NAME, ATTRIBUTE_VALUE = 0x420008, 0x42000A, 0x42000B
BATCH_COUNT, BATCH_ITEM, BLOCK_CIPHER_MODE = 0x42000D, 0x42000F, 0x420011
CRYPTOGRAPHIC_ALGORITHM, CRYPTOGRAPHIC_PARAMETERS, DATA = 0x420028, 0x42002B, 0x4200C2
IV_COUNTER_NONCE, KEY_BLOCK, KEY_FORMAT_TYPE, KEY_MATERIAL, KEY_VALUE = 0x42003D, 0x420040, 0x420042, 0x420043, 0x420045
OBJECT_TYPE, OPERATION, PADDING_METHOD, RANDOM_IV = 0x420057, 0x42005C, 0x42005F, 0x4200C5
PROTOCOL_VERSION, PROTOCOL_VERSION_MAJOR, PROTOCOL_VERSION_MINOR = 0x420069, 0x42006A, 0x42006B
REQUEST_HEADER, REQUEST_MESSAGE, REQUEST_PAYLOAD = 0x420077, 0x420078, 0x420079
RESPONSE_MESSAGE, RESPONSE_PAYLOAD = 0x42007B, 0x42007C
RESULT_MESSAGE, RESULT_REASON, RESULT_STATUS = 0x42007D, 0x42007E, 0x42007F
SECRET_DATA, SECRET_DATA_TYPE, TEMPLATE_ATTRIBUTE, UNIQUE_IDENTIFIER = 0x420085, 0x420086, 0x420091, 0x420094

# Enumerations
CREATE, REGISTER, GET, ACTIVATE, ENCRYPT, DECRYPT = 0x01, 0x03, 0x0A, 0x12, 0x1F, 0x20
SYMMETRIC_KEY, SECRET_DATA_OBJECT = 0x02, 0x07
SEED, OPAQUE_FORMAT, AES, CBC, PKCS5 = 0x02, 0x02, 0x03, 0x01, 0x03
ENCRYPT_DECRYPT_MASK = 0x04 | 0x08
IV_BYTES = 16

_STATUSES = {0: "Success", 1: "Operation Failed", 2: "Operation Pending", 3: "Operation Undone"}
_REASONS = {
    0x01: "Item Not Found", 0x02: "Response Too Large", 0x03: "Authentication Not Successful",
    0x04: "Invalid Message", 0x05: "Operation Not Supported", 0x06: "Missing Data", 0x07: "Invalid Field",
    0x08: "Feature Not Supported", 0x09: "Operation Canceled By Requester", 0x0A: "Cryptographic Failure",
    0x0B: "Illegal Operation", 0x0C: "Permission Denied", 0x0D: "Object Archived", 0x0E: "Index Out of Bounds",
    0x10: "Key Format Type Not Supported", 0x13: "Key Value Not Present", 0x16: "Sensitive",
    0x17: "Not Extractable", 0x18: "Object Already Exists", 0x100: "General Failure",
}


def register_secret(secret: bytes) -> bytes:
    """Register a SecretData (type Seed, opaque key format) with usage mask 0: libmongocrypt's default flow."""
    key_block = structure(KEY_BLOCK, enumeration(KEY_FORMAT_TYPE, OPAQUE_FORMAT),
                          structure(KEY_VALUE, byte_string(KEY_MATERIAL, secret)))
    return _request(0, REGISTER, enumeration(OBJECT_TYPE, SECRET_DATA_OBJECT),
                    structure(TEMPLATE_ATTRIBUTE, _attribute("Cryptographic Usage Mask", integer(ATTRIBUTE_VALUE, 0))),
                    structure(SECRET_DATA, enumeration(SECRET_DATA_TYPE, SEED), key_block))


def activate(unique_identifier: str) -> bytes:
    return _request(0, ACTIVATE, text(UNIQUE_IDENTIFIER, unique_identifier))


def get(unique_identifier: str) -> bytes:
    return _request(0, GET, text(UNIQUE_IDENTIFIER, unique_identifier))


def create_aes_key() -> bytes:
    """Create an AES-256 SymmetricKey for Encrypt and Decrypt: the delegated flow."""
    return _request(2, CREATE, enumeration(OBJECT_TYPE, SYMMETRIC_KEY), structure(
        TEMPLATE_ATTRIBUTE,
        _attribute("Cryptographic Algorithm", enumeration(ATTRIBUTE_VALUE, AES)),
        _attribute("Cryptographic Length", integer(ATTRIBUTE_VALUE, 256)),
        _attribute("Cryptographic Usage Mask", integer(ATTRIBUTE_VALUE, ENCRYPT_DECRYPT_MASK)),
    ))


def encrypt(unique_identifier: str, plaintext: bytes) -> bytes:
    """AES-CBC with PKCS#5 padding and an IV the server makes."""
    parameters = structure(CRYPTOGRAPHIC_PARAMETERS, enumeration(BLOCK_CIPHER_MODE, CBC),
                           enumeration(PADDING_METHOD, PKCS5), enumeration(CRYPTOGRAPHIC_ALGORITHM, AES),
                           boolean(RANDOM_IV, True))
    return _request(2, ENCRYPT, text(UNIQUE_IDENTIFIER, unique_identifier), parameters,
                    byte_string(DATA, plaintext))


def decrypt(unique_identifier: str, ciphertext: bytes, iv: bytes) -> bytes:
    parameters = structure(CRYPTOGRAPHIC_PARAMETERS, enumeration(BLOCK_CIPHER_MODE, CBC),
                           enumeration(PADDING_METHOD, PKCS5), enumeration(CRYPTOGRAPHIC_ALGORITHM, AES))
    return _request(2, DECRYPT, text(UNIQUE_IDENTIFIER, unique_identifier), parameters,
                    byte_string(DATA, ciphertext), byte_string(IV_COUNTER_NONCE, iv))


def response_payload(provider: str, operation: str, message: bytes) -> Item:
    """The ResponsePayload of a successful answer; :class:`KmsError` naming the KMIP result otherwise."""
    answer = decode(message)
    item = answer.path(BATCH_ITEM) if answer.tag == RESPONSE_MESSAGE else None
    status = item.child(RESULT_STATUS) if item is not None else None
    if item is None or status is None or not isinstance(status.value, int):
        raise KmsError(f"KMS provider {provider!r}: the {operation} answer is not a KMIP response")
    if status.value != 0:
        reason, why = item.child(RESULT_REASON), item.child(RESULT_MESSAGE)
        text_parts = [f"Result Status ({status.value}): {_STATUSES.get(status.value, 'Unknown')}"]
        if reason is not None and isinstance(reason.value, int):
            text_parts.append(f"Result Reason ({reason.value}): {_REASONS.get(reason.value, 'Unknown')}")
        if why is not None:
            text_parts.append(f"Result Message: {why.value}")
        raise KmsError(f"KMS provider {provider!r}: {operation} failed. KMIP response error. " + ". ".join(text_parts),
                       error_type=_REASONS.get(reason.value) if reason is not None else None)  # type: ignore[arg-type]
    payload = item.child(RESPONSE_PAYLOAD)
    if payload is None:
        raise KmsError(f"KMS provider {provider!r}: the {operation} answer has no payload")
    return payload


def text_field(provider: str, payload: Item, *path: int) -> str:
    found = payload.path(*path)
    if found is None or not isinstance(found.value, str) or not found.value:
        raise KmsError(f"KMS provider {provider!r}: the KMIP answer has no {_name(path[-1])}")
    return found.value


def bytes_field(provider: str, payload: Item, *path: int) -> bytes:
    found = payload.path(*path)
    if found is None or not isinstance(found.value, bytes):
        raise KmsError(f"KMS provider {provider!r}: the KMIP answer has no {_name(path[-1])}")
    return found.value


def _name(tag: int) -> str:
    return {UNIQUE_IDENTIFIER: "UniqueIdentifier", KEY_MATERIAL: "KeyMaterial", DATA: "Data",
            IV_COUNTER_NONCE: "IVCounterNonce"}.get(tag, hex(tag))


def _attribute(name: str, value: Item) -> Item:
    return structure(ATTRIBUTE, text(ATTRIBUTE_NAME, name), value)


def _request(minor: int, operation: int, *payload: Item) -> bytes:
    header = structure(REQUEST_HEADER,
                       structure(PROTOCOL_VERSION, integer(PROTOCOL_VERSION_MAJOR, 1),
                                 integer(PROTOCOL_VERSION_MINOR, minor)),
                       integer(BATCH_COUNT, 1))
    item = structure(BATCH_ITEM, enumeration(OPERATION, operation), structure(REQUEST_PAYLOAD, *payload))
    return encode(structure(REQUEST_MESSAGE, header, item))
