"""TLS as a scanner would probe it, on a real server's HTTPS and KMIP ports: only TLS 1.2 and 1.3; no suite without
forward secrecy or with SHA-1, RC4, 3DES, NULL or anonymous key exchange; HTTPS offers AEAD suites only; the
certificate chain served verifies against the CA alone."""

from __future__ import annotations

import socket
import ssl
from collections.abc import Iterator

import pytest
from kms_harness import ServerInfo, ServerProcess


def _offerable(suite: str) -> bool:
    """Whether this machine's OpenSSL can offer ``suite`` at all (builds without RC4 or 3DES cannot)."""
    try:
        ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT).set_ciphers(suite + ":@SECLEVEL=0")
    except ssl.SSLError:
        return False
    return True


WEAK_TLS12 = [suite for suite in ("ECDHE-ECDSA-AES128-SHA", "ECDHE-ECDSA-AES256-SHA", "AES128-SHA256",
                                  "AES128-GCM-SHA256", "DES-CBC3-SHA", "RC4-SHA", "NULL-SHA256", "ECDHE-ECDSA-NULL-SHA",
                                  "AECDH-AES128-SHA", "ADH-AES128-SHA") if _offerable(suite)]
pytestmark = pytest.mark.filterwarnings("ignore:ssl.TLSVersion.TLSv1:DeprecationWarning")
STRONG_TLS12 = ["ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-ECDSA-AES256-GCM-SHA384", "ECDHE-ECDSA-CHACHA20-POLY1305"]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerInfo]:
    process = ServerProcess(tmp_path_factory.mktemp("tls") / "data", kmip=True, extra_args=["--workers", "1"])
    info = process.start()
    try:
        yield info
    finally:
        process.stop()


def _client(server: ServerInfo, *, version: ssl.TLSVersion | None = None, ciphers: str | None = None,
            kmip: bool = False) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.load_verify_locations(cafile=str(server.ca_file))
    if kmip:
        context.load_cert_chain(str(server.kmip_cert), str(server.kmip_key))
    if version is not None:
        context.minimum_version = context.maximum_version = version
    if ciphers is not None:
        context.set_ciphers(ciphers + ":@SECLEVEL=0")
    return context


def _handshake(server: ServerInfo, context: ssl.SSLContext, port: int) -> tuple[str, str] | None:
    """The version and suite agreed, or None when the server refused."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=10) as raw, \
                context.wrap_socket(raw, server_hostname="127.0.0.1") as conn:
            return conn.version() or "", (conn.cipher() or ("",))[0]
    except (ssl.SSLError, ConnectionResetError):
        return None


def _ports(server: ServerInfo) -> list[tuple[str, int, bool]]:
    return [("https", server.tls_port, False), ("kmip", server.kmip_port, True)]


def test_the_probe_offers_enough_weak_suites() -> None:
    assert len(WEAK_TLS12) >= 6, WEAK_TLS12


@pytest.mark.parametrize("listener", ["https", "kmip"])
@pytest.mark.parametrize("version", [ssl.TLSVersion.TLSv1, ssl.TLSVersion.TLSv1_1])
def test_tls_before_1_2_is_refused(server: ServerInfo, listener: str, version: ssl.TLSVersion) -> None:
    _, port, kmip = next(p for p in _ports(server) if p[0] == listener)
    assert _handshake(server, _client(server, version=version, ciphers="ALL", kmip=kmip), port) is None


@pytest.mark.parametrize("listener", ["https", "kmip"])
def test_tls_1_2_and_1_3_are_served(server: ServerInfo, listener: str) -> None:
    _, port, kmip = next(p for p in _ports(server) if p[0] == listener)
    for version in (ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3):
        agreed = _handshake(server, _client(server, version=version, kmip=kmip), port)
        assert agreed is not None and agreed[0] == {ssl.TLSVersion.TLSv1_2: "TLSv1.2",
                                                    ssl.TLSVersion.TLSv1_3: "TLSv1.3"}[version]


@pytest.mark.parametrize("listener", ["https", "kmip"])
@pytest.mark.parametrize("suite", WEAK_TLS12)
def test_no_weak_suite_is_agreed(server: ServerInfo, listener: str, suite: str) -> None:
    _, port, kmip = next(p for p in _ports(server) if p[0] == listener)
    client = _client(server, version=ssl.TLSVersion.TLSv1_2, ciphers=suite, kmip=kmip)
    assert _handshake(server, client, port) is None, f"{listener} agreed {suite}"


def test_https_agrees_aead_suites_and_no_cbc(server: ServerInfo) -> None:
    for suite in STRONG_TLS12:
        agreed = _handshake(server, _client(server, version=ssl.TLSVersion.TLSv1_2, ciphers=suite), server.tls_port)
        assert agreed == ("TLSv1.2", suite)
    cbc = _client(server, version=ssl.TLSVersion.TLSv1_2, ciphers="ECDHE-ECDSA-AES128-SHA256")
    assert _handshake(server, cbc, server.tls_port) is None


def test_the_chain_served_verifies_against_the_ca_alone(server: ServerInfo) -> None:
    """A client that trusts only the CA (no intermediate of its own) verifies the chain and the host name."""
    for port, kmip in ((server.tls_port, False), (server.kmip_port, True)):
        context = _client(server, kmip=kmip)
        assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
        with socket.create_connection(("127.0.0.1", port), timeout=10) as raw, \
                context.wrap_socket(raw, server_hostname="127.0.0.1") as conn:
            names = conn.getpeercert()["subjectAltName"]  # type: ignore[index]
        assert ("IP Address", "127.0.0.1") in names
