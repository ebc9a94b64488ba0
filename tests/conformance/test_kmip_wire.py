"""The KMIP listener of a real server process, byte by byte: malformed, truncated, oversized and garbage input get a
KMIP error answer or a clean close (and the server keeps serving); many messages and batch items share one
connection; client certificates authenticate principals whose policies decide; every item is audited."""

from __future__ import annotations

import json
import random
import socket
import ssl
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from kms_harness import ServerInfo, ServerProcess, clean_env

from strongroom.protocols.kmip.enums import Operation, ResultReason, ResultStatus
from strongroom.protocols.kmip.messages import decode_response
from strongroom.protocols.kmip.tags import Tag
from strongroom.protocols.kmip.ttlv import Item, ItemType, byte_string, enumeration, integer, structure
from strongroom.protocols.kmip.version import KMIP_1_0, KMIP_1_2, KMIP_1_4
from tests.protocols.kmip.builders import RawClient, aes_template, batch_item, cbc_parameters, request, uid

DISCOVER = request(KMIP_1_2, batch_item(Operation.DISCOVER_VERSIONS))


@pytest.fixture(scope="module")
def kmip_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerInfo]:
    process = ServerProcess(tmp_path_factory.mktemp("kmip-wire") / "data", kmip=True, extra_args=["--workers", "1"])
    info = process.start()
    try:
        yield info
    finally:
        process.stop()


def connect(server: ServerInfo, cert: Path | None = None, key: Path | None = None) -> RawClient:
    return RawClient(server.kmip_port, server.ca_file, cert or server.kmip_cert, key or server.kmip_key)


def still_serving(server: ServerInfo) -> None:
    with connect(server) as client:
        assert client.call(DISCOVER).batch_items[0].result_status == ResultStatus.SUCCESS


def cli(server: ServerInfo, *args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "strongroom", *args, "--data-dir", str(server.data_dir)],
                          capture_output=True, text=True, timeout=60, env=clean_env())
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_many_messages_and_batch_items_share_a_connection(kmip_server: ServerInfo) -> None:
    with connect(kmip_server) as client:
        created = client.call(request(
            KMIP_1_4, batch_item(Operation.CREATE, enumeration(Tag.OBJECT_TYPE, 2), aes_template(), batch_id=b"1"),
            batch_item(Operation.ACTIVATE, batch_id=b"2")))
        assert [i.result_status for i in created.batch_items] == [ResultStatus.SUCCESS] * 2
        object_id = created.batch_items[0].payload.find(Tag.UNIQUE_IDENTIFIER).value  # type: ignore[union-attr]
        for n in range(5):
            sealed = client.call(request(KMIP_1_2, batch_item(Operation.ENCRYPT, uid(object_id),
                                                              cbc_parameters(True), byte_string(Tag.DATA, b"m" * n))))
            assert sealed.batch_items[0].result_status == ResultStatus.SUCCESS
        assert client.call(DISCOVER).protocol_version == KMIP_1_2


@pytest.mark.parametrize("body, reason", [
    (structure(Tag.REQUEST_MESSAGE, [integer(Tag.BATCH_COUNT, 1)]), ResultReason.INVALID_MESSAGE),  # no header
    (structure(Tag.RESPONSE_MESSAGE, []), ResultReason.INVALID_MESSAGE),  # the wrong message
], ids=["no-header", "a-response"])
def test_messages_that_are_not_requests_get_an_error_answer(kmip_server: ServerInfo, body: Item, reason: int) -> None:
    from strongroom.protocols.kmip.ttlv import encode

    with connect(kmip_server) as client:
        (item,) = client.call(encode(body)).batch_items
        assert (item.result_status, item.result_reason, item.operation) == (ResultStatus.OPERATION_FAILED, reason, None)
        assert client.call(DISCOVER).batch_items[0].result_status == ResultStatus.SUCCESS  # the connection goes on


def test_wrong_types_and_unknown_tags_fail_their_item(kmip_server: ServerInfo) -> None:
    wrong_type = structure(Tag.BATCH_ITEM, [enumeration(Tag.OPERATION, Operation.GET), structure(
        Tag.REQUEST_PAYLOAD, [integer(Tag.UNIQUE_IDENTIFIER, 7)])])
    unknown_tag = structure(Tag.BATCH_ITEM, [enumeration(Tag.OPERATION, Operation.GET), structure(
        Tag.REQUEST_PAYLOAD, [uid("x"), Item(0x42FFF0, ItemType.INTEGER, 1)])])
    continue_on = (enumeration(Tag.BATCH_ERROR_CONTINUATION_OPTION, 1),)
    with connect(kmip_server) as client:
        answered = client.call(request(KMIP_1_2, wrong_type, unknown_tag, header=continue_on)).batch_items
    assert [i.result_reason for i in answered] == [ResultReason.INVALID_FIELD, ResultReason.INVALID_MESSAGE]
    assert all(i.operation == Operation.GET for i in answered)


def test_a_truncated_value_inside_a_whole_frame_is_an_invalid_message(kmip_server: ServerInfo) -> None:
    good = bytearray(DISCOVER)
    good[12:16] = (0xFFFF).to_bytes(4, "big")  # the header structure now overruns the message
    with connect(kmip_server) as client:
        (item,) = client.call(bytes(good)).batch_items
    assert item.result_reason == ResultReason.INVALID_MESSAGE


def test_garbage_and_oversized_headers_are_refused_and_closed(kmip_server: ServerInfo) -> None:
    for data in (b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", b"\x42\x00\x78\x01" + (17 << 20).to_bytes(4, "big"),
                 b"\x42\x00\x78\x02\x00\x00\x00\x08"):
        with connect(kmip_server) as client:
            client.send(data)
            answer = decode_response(client.read_frame())
            assert answer.batch_items[0].result_reason == ResultReason.INVALID_MESSAGE
            assert client.read_frame() == b""  # then the connection is closed
    still_serving(kmip_server)


def test_a_stream_cut_inside_a_message_is_dropped_cleanly(kmip_server: ServerInfo) -> None:
    for cut in (3, 8, 20, len(DISCOVER) - 1):
        client = connect(kmip_server)
        client.send(DISCOVER[:cut])
        client.close()
    still_serving(kmip_server)


def test_mutated_messages_never_break_the_server(kmip_server: ServerInfo) -> None:
    rng = random.Random(5696)
    seed = request(KMIP_1_2, batch_item(Operation.CREATE, enumeration(Tag.OBJECT_TYPE, 2), aes_template()),
                   batch_item(Operation.GET_ATTRIBUTES))
    for _ in range(40):
        data = bytearray(seed)
        for _ in range(rng.randint(1, 6)):
            data[rng.randrange(8, len(data))] = rng.randrange(256)
        with connect(kmip_server) as client:
            client.send(bytes(data))
            frame = client.read_frame()
            if frame:  # an answer, which must be a well-formed KMIP response
                decode_response(frame)
    still_serving(kmip_server)


def test_a_client_without_a_certificate_never_reaches_the_adapter(kmip_server: ServerInfo) -> None:
    context = ssl.create_default_context(cafile=str(kmip_server.ca_file))
    with socket.create_connection(("127.0.0.1", kmip_server.kmip_port), timeout=10) as raw:
        try:
            with context.wrap_socket(raw, server_hostname="127.0.0.1") as conn:
                conn.sendall(DISCOVER)
                assert conn.recv(8) == b""
        except (ssl.SSLError, ConnectionResetError):
            pass  # refused in the handshake (TLS 1.2) or just after it (TLS 1.3)


def _user_client(server: ServerInfo, tmp_path: Path, statements: list[dict]) -> tuple[str, Path, Path]:
    name = f"kmip{uuid.uuid4().hex[:8]}"
    cli(server, "users", "create", "--account", server.account_id, "--user", name)
    cli(server, "users", "put-policy", "--account", server.account_id, "--user", name, "--policy-name", "p",
        "--policy-document", json.dumps({"Version": "2012-10-17", "Statement": statements}))
    cli(server, "kmip-clients", "issue", "--account", server.account_id, "--user", name, "--out", str(tmp_path / name))
    return name, tmp_path / f"{name}.pem", tmp_path / f"{name}-key.pem"


def test_a_principal_denied_encrypt_is_refused_and_others_are_not(kmip_server: ServerInfo, tmp_path: Path) -> None:
    name, cert, key = _user_client(kmip_server, tmp_path, [
        {"Effect": "Allow", "Action": "kms:*", "Resource": "*"},
        {"Effect": "Deny", "Action": "kms:Encrypt", "Resource": "*"}])
    with connect(kmip_server, cert, key) as client:
        made = client.call(request(KMIP_1_2, batch_item(Operation.CREATE, enumeration(Tag.OBJECT_TYPE, 2),
                                                        aes_template()), batch_item(Operation.ACTIVATE)))
        assert [i.result_status for i in made.batch_items] == [ResultStatus.SUCCESS] * 2
        object_id = made.batch_items[0].payload.find(Tag.UNIQUE_IDENTIFIER).value  # type: ignore[union-attr]
        (denied,) = client.call(request(KMIP_1_2, batch_item(Operation.ENCRYPT, uid(object_id), cbc_parameters(True),
                                                              byte_string(Tag.DATA, b"no")))).batch_items
    assert denied.result_reason == ResultReason.PERMISSION_DENIED
    assert f"user/{name} is not authorized to perform: kms:Encrypt" in (denied.result_message or "")
    with connect(kmip_server) as root:  # the account's root may
        (allowed,) = root.call(request(KMIP_1_2, batch_item(Operation.ENCRYPT, uid(object_id), cbc_parameters(True),
                                                             byte_string(Tag.DATA, b"yes")))).batch_items
    assert allowed.result_status == ResultStatus.SUCCESS


def test_a_revoked_binding_authenticates_nobody(kmip_server: ServerInfo, tmp_path: Path) -> None:
    name, cert, key = _user_client(kmip_server, tmp_path, [{"Effect": "Allow", "Action": "kms:*", "Resource": "*"}])
    with connect(kmip_server, cert, key) as client:
        assert client.call(DISCOVER).batch_items[0].result_status == ResultStatus.SUCCESS
    bindings = [line.split("\t") for line in cli(kmip_server, "kmip-clients", "list").splitlines()]
    (binding,) = [b[0] for b in bindings if b[2] == name]
    cli(kmip_server, "kmip-clients", "revoke", binding)
    with connect(kmip_server, cert, key) as client:
        (item,) = client.call(DISCOVER).batch_items
    assert item.result_reason == ResultReason.PERMISSION_DENIED


def test_every_item_is_audited_as_kmip(kmip_server: ServerInfo) -> None:
    with connect(kmip_server) as client:
        made = client.call(request(KMIP_1_0, batch_item(Operation.CREATE, enumeration(Tag.OBJECT_TYPE, 2),
                                                        aes_template()), batch_item(Operation.GET)))
    object_id = made.batch_items[0].payload.find(Tag.UNIQUE_IDENTIFIER).value  # type: ignore[union-attr]
    out = cli(kmip_server, "audit", "export", "-")
    events = [json.loads(line) for line in out.splitlines() if line.strip()]
    mine = [e for e in events if any(r["ARN"].endswith(object_id) for r in e.get("resources", []))]
    assert [e["eventName"] for e in mine] == ["Create", "Get"]
    assert all(e["additionalEventData"]["protocol"] == "kmip" and e["eventSource"] == "kmip.strongroom" for e in mine)
    assert mine[1]["additionalEventData"]["keyVersion"] == 1
    assert mine[0]["userIdentity"]["accountId"] == kmip_server.account_id
    assert mine[1]["requestParameters"]["uniqueIdentifier"] == object_id  # the ID placeholder, resolved
    assert cli(kmip_server, "audit", "verify").startswith("audit chain intact")


def test_one_key_store_for_kmip_and_the_aws_api(kmip_server: ServerInfo) -> None:
    kms = kmip_server.client()
    with connect(kmip_server) as client:
        made = client.call(request(KMIP_1_2, batch_item(Operation.CREATE, enumeration(Tag.OBJECT_TYPE, 2),
                                                        aes_template()), batch_item(Operation.ACTIVATE)))
        kmip_key = made.batch_items[0].payload.find(Tag.UNIQUE_IDENTIFIER).value  # type: ignore[union-attr]
        meta = kms.describe_key(KeyId=kmip_key)["KeyMetadata"]
        assert (meta["KeySpec"], meta["KeyState"]) == ("SYMMETRIC_DEFAULT", "Enabled")
        blob = kms.encrypt(KeyId=kmip_key, Plaintext=b"made over KMIP")["CiphertextBlob"]
        assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"made over KMIP"

        aws_key = kms.create_key()["KeyMetadata"]["KeyId"]
        (sealed,) = client.call(request(KMIP_1_2, batch_item(Operation.ENCRYPT, uid(aws_key), cbc_parameters(True),
                                                              byte_string(Tag.DATA, b"x")))).batch_items
        assert sealed.result_status == ResultStatus.SUCCESS
        (got,) = client.call(request(KMIP_1_2, batch_item(Operation.GET, uid(aws_key)))).batch_items
        assert got.result_reason == ResultReason.PERMISSION_DENIED and "not extractable" in (got.result_message or "")
        kms.disable_key(KeyId=aws_key)  # refused by every protocol
        (refused,) = client.call(request(KMIP_1_2, batch_item(Operation.ENCRYPT, uid(aws_key), cbc_parameters(True),
                                                               byte_string(Tag.DATA, b"x")))).batch_items
        assert refused.result_reason == ResultReason.PERMISSION_DENIED
