"""The ``kmip`` provider's messages and answers without a server: libmongocrypt's golden bytes, PyKMIP's codec as
an independent reader, and what the provider does with failures. The provider against a real server is in
tests/conformance/test_client_library_kmip.py."""

from __future__ import annotations

import warnings
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from strongroom_client import ConfigurationError, KmsError
from strongroom_client.providers import build_providers, kmip_messages, ttlv
from strongroom_client.providers.endpoint import Endpoint
from strongroom_client.providers.http import RetryPolicy
from strongroom_client.providers.kmip import KmipProvider

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # PyKMIP imports cryptography's deprecated ciphers
    from kmip.core import enums, utils
    from kmip.core.messages.messages import RequestMessage

# libmongocrypt's kms-message tests (test_kms_kmip_request.c), as reproduced in the shared KMIP reference
GOLDEN_GET = bytes.fromhex(
    "420078010000008842007701000000384200690100000020 42006a0200000004000000010000000042006b02000000040000000000000000"
    "42000d0200000004000000010000000042000f010000004042005c0500000004000000 0a00000000420079010000002842009407000000 20"
    + b"7FJYvnV6XkaUCWuY96bCSc6AuhvkPpqI".hex()
)
GOLDEN_CREATE = bytes.fromhex(
    "4200780100000120420077010000003842006901000000204200 6a0200000004000000010000000042006b020000000400000002"
    "0000000042000d0200000004000000010000000042000f01000000d842005c05000000040000000100000000420079010000 00c0"
    "42005705000000040000000200000000420091010000 00a8420008010000003042000a07000000174372797074 6f67726170686963"
    "20416c676f726974686d0042000b0500000004000000030000000042000801000000 3042000a0700000014 43727970746f6772"
    "61706869 63204c656e6774680000000042000b020000000400000100000000004200080100000030 42000a07000000184372797074"
    "6f67726170686963205573616765204d61736b42000b02000000040000000c00000000"
)
REGISTER_MATERIAL = bytes.fromhex(
    "ffa8cc79e8c3763b0121fcd06bb3488c8bf42c0774604640279b16b264194030eeb08396241defcc4d32d16ea831ad777138f08e2f9856"
    "64c004c2485d6f4991eb3d9ec32802537836a9066b4e10aeb56a5ccf6aa46901e625e3400c7811d2ec"
)
GOLDEN_REGISTER_START = bytes.fromhex(
    "4200780100000150420077010000003842006901000000204200 6a0200000004000000010000000042006b020000000400000000"
    "0000000042000d0200000004000000010000000042000f0100000108 42005c050000000400000003 00000000"
)
# A Register answer libmongocrypt accepts (test_kms_kmip_response.c): UniqueIdentifier "39"
GOLDEN_REGISTER_RESPONSE = bytes.fromhex(
    "42007b010000009042007a0100000048420069010000002042006a0200000004000000010000000042006b0200000004000000000000"
    "0000420092090000000800000000616597154200 0d0200000004000000010000000042000f010000003842005c050000000400000003"
    "00000000 42007f0500000004000000000000000042007c010000001042009407000000023339000000000000"
)


def test_requests_are_libmongocrypts_bytes() -> None:
    assert kmip_messages.get("7FJYvnV6XkaUCWuY96bCSc6AuhvkPpqI") == GOLDEN_GET
    assert kmip_messages.create_aes_key() == GOLDEN_CREATE
    register = kmip_messages.register_secret(REGISTER_MATERIAL)
    assert len(register) == 344 and register.startswith(GOLDEN_REGISTER_START)
    assert REGISTER_MATERIAL in register


@pytest.mark.parametrize(("message", "operation", "minor"), [
    (kmip_messages.register_secret(b"s" * 96), enums.Operation.REGISTER, 0),
    (kmip_messages.activate("42"), enums.Operation.ACTIVATE, 0),
    (kmip_messages.get("42"), enums.Operation.GET, 0),
    (kmip_messages.create_aes_key(), enums.Operation.CREATE, 2),
    (kmip_messages.encrypt("42", b"d" * 96), enums.Operation.ENCRYPT, 2),
    (kmip_messages.decrypt("42", b"c" * 112, b"i" * 16), enums.Operation.DECRYPT, 2),
], ids=lambda v: v.name if isinstance(v, enums.Operation) else None)
def test_pykmip_reads_every_request(message: bytes, operation: Any, minor: int) -> None:
    decoded = RequestMessage()
    decoded.read(utils.BytearrayStream(message), kmip_version=enums.KMIPVersion.KMIP_1_0)
    assert decoded.request_header.protocol_version.minor == minor
    assert decoded.request_header.batch_count.value == 1
    item = decoded.batch_items[0]
    assert item.operation.value == operation
    payload = item.request_payload
    if operation == enums.Operation.ENCRYPT:
        assert payload.data == b"d" * 96 and payload.cryptographic_parameters.random_iv is True
        assert payload.cryptographic_parameters.block_cipher_mode == enums.BlockCipherMode.CBC
        assert payload.cryptographic_parameters.padding_method == enums.PaddingMethod.PKCS5
    if operation == enums.Operation.DECRYPT:
        assert (payload.data, payload.iv_counter_nonce) == (b"c" * 112, b"i" * 16)
    if operation in (enums.Operation.GET, enums.Operation.ACTIVATE):
        identifier = payload.unique_identifier
        assert getattr(identifier, "value", identifier) == "42"  # a str in PyKMIP's Get, a TextString in Activate


def test_a_golden_answer_is_read() -> None:
    payload = kmip_messages.response_payload("kmip", "Register", GOLDEN_REGISTER_RESPONSE)
    assert kmip_messages.text_field("kmip", payload, kmip_messages.UNIQUE_IDENTIFIER) == "39"


def _failure(reason: int, message: str) -> bytes:
    item = ttlv.structure(kmip_messages.BATCH_ITEM, ttlv.enumeration(kmip_messages.OPERATION, kmip_messages.GET),
                          ttlv.enumeration(kmip_messages.RESULT_STATUS, 1),
                          ttlv.enumeration(kmip_messages.RESULT_REASON, reason),
                          ttlv.text(kmip_messages.RESULT_MESSAGE, message))
    return ttlv.encode(ttlv.structure(kmip_messages.RESPONSE_MESSAGE, item))


def test_a_failure_names_the_kmip_status_reason_and_message() -> None:
    with pytest.raises(KmsError) as caught:
        kmip_messages.response_payload("kmip", "Get", _failure(1, "Could not locate object: x"))
    assert str(caught.value).endswith(
        "Result Status (1): Operation Failed. Result Reason (1): Item Not Found. Result Message: Could not locate "
        "object: x")
    assert caught.value.error_type == "Item Not Found"


@pytest.mark.parametrize("answer", [b"", b"\x42\x00\x7b\x01\x00\x00\x00", GOLDEN_REGISTER_RESPONSE[:-8],
                                    GOLDEN_REGISTER_RESPONSE + b"\0" * 8, b"\x13" * 64,
                                    ttlv.encode(ttlv.text(kmip_messages.RESPONSE_MESSAGE, "not a structure"))])
def test_malformed_answers_are_kms_errors(answer: bytes) -> None:
    with pytest.raises(KmsError):
        kmip_messages.response_payload("kmip", "Get", answer)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=256) | st.builds(lambda cut, junk: GOLDEN_REGISTER_RESPONSE[:cut] + junk,
                                           st.integers(0, len(GOLDEN_REGISTER_RESPONSE)), st.binary(max_size=16)))
def test_any_bytes_decode_or_raise_a_kms_error(data: bytes) -> None:
    try:
        item = ttlv.decode(data)
    except KmsError:
        return
    assert ttlv.decode(ttlv.encode(item)) == item


def test_every_type_round_trips() -> None:
    tree = ttlv.structure(0x420001, ttlv.integer(0x420002, -5), ttlv.enumeration(0x420003, 0xFFFFFFFF),
                          ttlv.boolean(0x420004, True), ttlv.text(0x420005, "ünï"),
                          ttlv.byte_string(0x420006, b"\0" * 9),
                          ttlv.Item(0x420007, ttlv.LONG_INTEGER, -(2**40)), ttlv.Item(0x420008, ttlv.DATE_TIME, 1))
    assert ttlv.decode(ttlv.encode(tree)) == tree
    assert len(ttlv.encode(tree)) % 8 == 0


class Scripted:
    """A KMIP exchange that answers from a list (an OSError instance is raised instead)."""

    def __init__(self, *answers: bytes | OSError) -> None:
        self.answers = list(answers)
        self.sent: list[bytes] = []

    def __call__(self, endpoint: Endpoint, message: bytes) -> bytes:
        self.sent.append(message)
        answer = self.answers.pop(0)
        if isinstance(answer, OSError):
            raise answer
        return answer


def _provider(exchange: Scripted) -> KmipProvider:
    retry = RetryPolicy(sleep=lambda s: None)
    return KmipProvider("kmip", {"endpoint": "kmip.example.test"}, exchange=exchange, retry=retry)


def test_register_is_never_retried_after_a_network_error() -> None:
    exchange = Scripted(ConnectionResetError("reset"))
    with pytest.raises(KmsError, match="Register at kmip.example.test:5696: reset"):
        _provider(exchange).provision({"provider": "kmip"})
    assert len(exchange.sent) == 1


def test_get_is_retried_after_a_network_error() -> None:
    exchange = Scripted(ConnectionResetError("reset"), _failure(1, "gone"))
    with pytest.raises(KmsError, match="Item Not Found"):
        _provider(exchange).unwrap(b"x" * 160, {"provider": "kmip", "keyId": "7"})
    assert len(exchange.sent) == 2 and exchange.sent[0] == exchange.sent[1] == kmip_messages.get("7")


def test_an_iv_that_is_not_16_bytes_is_refused() -> None:
    payload = ttlv.structure(kmip_messages.RESPONSE_PAYLOAD, ttlv.byte_string(kmip_messages.DATA, b"c" * 112),
                             ttlv.byte_string(kmip_messages.IV_COUNTER_NONCE, b"i" * 12))
    ok = ttlv.structure(kmip_messages.BATCH_ITEM, ttlv.enumeration(kmip_messages.RESULT_STATUS, 0), payload)
    answer = ttlv.encode(ttlv.structure(kmip_messages.RESPONSE_MESSAGE, ok))
    with pytest.raises(KmsError, match="IV of 12 bytes"):
        _provider(Scripted(answer)).wrap(b"k" * 96, {"provider": "kmip", "keyId": "7", "delegated": True})


@pytest.mark.parametrize(("master_key", "message"), [
    ({"delegated": "yes"}, "'delegated' must be a boolean"),
    ({"keyId": 7}, "'keyId' must be a string"),
    ({"key": "x"}, "unexpected field 'key'"),
    ({"endpoint": "bad host!"}, "bad host"),
])
def test_bad_master_keys(master_key: dict[str, Any], message: str) -> None:
    provider = build_providers({"kmip": {"endpoint": "127.0.0.1:5696"}})["kmip"]
    with pytest.raises(ConfigurationError, match=message):
        provider.master_key_document(master_key)


def test_the_master_key_document_has_libmongocrypts_field_order() -> None:
    provider = build_providers({"kmip": {"endpoint": "127.0.0.1"}})["kmip"]
    document = provider.master_key_document({"keyId": "9", "delegated": True, "endpoint": "kmip.test:15696"})
    assert list(document.items()) == [("provider", "kmip"), ("endpoint", "kmip.test:15696"), ("delegated", True),
                                      ("keyId", "9")]
    assert provider.master_key_document({"delegated": False}) == {"provider": "kmip"}
