"""Dev-mode TLS material: generation, reuse, file modes, and a real handshake against the generated CA."""

from __future__ import annotations

import datetime as dt
import ipaddress
import socket
import ssl
import stat
import threading
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID

from strongroom.server.tls import TlsFiles, ensure_dev_tls, server_ssl_context

ALL_FILES = ("ca.pem", "ca-key.pem", "server.pem", "server-key.pem")


def _snapshot(tls_dir: Path) -> dict[str, bytes]:
    return {name: (tls_dir / name).read_bytes() for name in ALL_FILES}


def _load(path: Path) -> x509.Certificate:
    return x509.load_pem_x509_certificate(path.read_bytes())


class _EchoServer:
    """A one-connection-at-a-time TLS echo server on a loopback port, served from a thread."""

    def __init__(self, ctx: ssl.SSLContext) -> None:
        self.ctx = ctx
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.sock.settimeout(0.1)  # lets the loop notice close() promptly
        self.port = self.sock.getsockname()[1]
        self.errors: list[BaseException] = []
        self.versions: list[str | None] = []
        self._stop = False
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while not self._stop:
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            conn.settimeout(10)
            try:
                with self.ctx.wrap_socket(conn, server_side=True) as tls:
                    self.versions.append(tls.version())
                    data = tls.recv(1024)
                    tls.sendall(b"echo:" + data)
            except (ssl.SSLError, OSError) as exc:  # a refused client handshake lands here
                self.errors.append(exc)

    def close(self) -> None:
        self._stop = True
        self.thread.join(5)
        self.sock.close()


@pytest.fixture
def tls_files(tmp_path: Path) -> TlsFiles:
    return ensure_dev_tls(tmp_path / "tls")


def _client_ctx(ca: Path) -> ssl.SSLContext:
    ctx = ssl.create_default_context(cafile=str(ca))
    assert ctx.check_hostname and ctx.verify_mode == ssl.CERT_REQUIRED
    return ctx


def _roundtrip(port: int, ctx: ssl.SSLContext, server_hostname: str) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
        with ctx.wrap_socket(raw, server_hostname=server_hostname) as tls:
            tls.sendall(b"ping")
            return tls.recv(1024)


def test_files_created_with_expected_names_and_modes(tmp_path: Path) -> None:
    tls_dir = tmp_path / "nested" / "tls"
    files = ensure_dev_tls(tls_dir)
    assert files == TlsFiles(tls_dir / "ca.pem", tls_dir / "server.pem", tls_dir / "server-key.pem")
    for name in ALL_FILES:
        assert (tls_dir / name).is_file(), name
    assert stat.S_IMODE((tls_dir / "ca-key.pem").stat().st_mode) == 0o600
    assert stat.S_IMODE((tls_dir / "server-key.pem").stat().st_mode) == 0o600
    # no temporary files are left behind by the atomic writes
    assert not [p for p in tls_dir.iterdir() if p.name.endswith(".tmp")]


def test_second_call_reuses_the_same_files(tmp_path: Path) -> None:
    tls_dir = tmp_path / "tls"
    first = ensure_dev_tls(tls_dir)
    before = _snapshot(tls_dir)
    second = ensure_dev_tls(tls_dir)
    assert second == first
    assert _snapshot(tls_dir) == before
    assert stat.S_IMODE((tls_dir / "ca-key.pem").stat().st_mode) == 0o600
    assert stat.S_IMODE((tls_dir / "server-key.pem").stat().st_mode) == 0o600


def test_ca_certificate_properties(tls_files: TlsFiles) -> None:
    ca = _load(tls_files.ca_cert)
    assert ca.subject == ca.issuer
    bc = ca.extensions.get_extension_for_class(x509.BasicConstraints)
    assert bc.critical and bc.value.ca is True
    assert ca.extensions.get_extension_for_class(x509.KeyUsage).value.key_cert_sign
    assert isinstance(ca.public_key(), ec.EllipticCurvePublicKey)
    assert isinstance(ca.public_key().curve, ec.SECP256R1)
    lifetime = ca.not_valid_after_utc - ca.not_valid_before_utc
    assert lifetime >= dt.timedelta(days=5 * 365)


def test_server_certificate_properties(tls_files: TlsFiles) -> None:
    ca = _load(tls_files.ca_cert)
    cert = _load(tls_files.server_cert)
    cert.verify_directly_issued_by(ca)  # raises if not signed by the dev CA
    assert isinstance(cert.public_key(), ec.EllipticCurvePublicKey)
    assert isinstance(cert.public_key().curve, ec.SECP256R1)
    assert cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is False
    eku = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert ExtendedKeyUsageOID.SERVER_AUTH in list(eku)
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.IPAddress) == [ipaddress.ip_address("127.0.0.1")]
    assert san.get_values_for_type(x509.DNSName) == ["localhost"]
    now = dt.datetime.now(dt.UTC)
    assert cert.not_valid_before_utc <= now < cert.not_valid_after_utc
    assert cert.not_valid_after_utc - now <= dt.timedelta(days=826)
    assert cert.not_valid_after_utc - now >= dt.timedelta(days=365)


def test_custom_hosts_get_ip_and_dns_sans(tmp_path: Path) -> None:
    files = ensure_dev_tls(tmp_path / "tls", hosts=("10.1.2.3", "kms.example.test", "::1"))
    san = _load(files.server_cert).extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert set(san.get_values_for_type(x509.IPAddress)) == {
        ipaddress.ip_address("10.1.2.3"),
        ipaddress.ip_address("::1"),
    }
    assert san.get_values_for_type(x509.DNSName) == ["kms.example.test"]


def test_new_hosts_reissue_server_cert_but_keep_the_ca(tmp_path: Path) -> None:
    tls_dir = tmp_path / "tls"
    ensure_dev_tls(tls_dir, hosts=("127.0.0.1",))
    before = _snapshot(tls_dir)
    files = ensure_dev_tls(tls_dir, hosts=("127.0.0.1", "kms.example.test"))
    after = _snapshot(tls_dir)
    assert after["ca.pem"] == before["ca.pem"] and after["ca-key.pem"] == before["ca-key.pem"]
    assert after["server.pem"] != before["server.pem"]
    san = _load(files.server_cert).extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert "kms.example.test" in san.get_values_for_type(x509.DNSName)
    _load(files.server_cert).verify_directly_issued_by(_load(files.ca_cert))


def test_missing_server_key_is_regenerated_with_the_same_ca(tmp_path: Path) -> None:
    tls_dir = tmp_path / "tls"
    files = ensure_dev_tls(tls_dir)
    ca_before = files.ca_cert.read_bytes()
    files.server_key.unlink()
    ensure_dev_tls(tls_dir)
    assert files.server_key.exists() and files.ca_cert.read_bytes() == ca_before
    _load(files.server_cert).verify_directly_issued_by(_load(files.ca_cert))


def test_empty_hosts_rejected(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        ensure_dev_tls(tmp_path / "tls", hosts=())


def test_server_context_minimum_tls12(tls_files: TlsFiles) -> None:
    ctx = server_ssl_context(tls_files.server_cert, tls_files.server_key)
    assert isinstance(ctx, ssl.SSLContext)
    assert ctx.minimum_version >= ssl.TLSVersion.TLSv1_2
    assert ctx.verify_mode == ssl.CERT_NONE  # a server context does not demand client certificates


@pytest.mark.parametrize("hostname", ["127.0.0.1", "localhost"])
def test_real_handshake_verifies_against_dev_ca(tls_files: TlsFiles, hostname: str) -> None:
    server = _EchoServer(server_ssl_context(tls_files.server_cert, tls_files.server_key))
    try:
        assert _roundtrip(server.port, _client_ctx(tls_files.ca_cert), hostname) == b"echo:ping"
    finally:
        server.close()
    assert not server.errors
    assert server.versions and server.versions[0] in ("TLSv1.2", "TLSv1.3")


def test_handshake_fails_for_a_host_not_in_the_certificate(tls_files: TlsFiles) -> None:
    server = _EchoServer(server_ssl_context(tls_files.server_cert, tls_files.server_key))
    try:
        with pytest.raises(ssl.SSLCertVerificationError):
            _roundtrip(server.port, _client_ctx(tls_files.ca_cert), "kms.example.test")
    finally:
        server.close()


def test_handshake_fails_without_trusting_the_dev_ca(tls_files: TlsFiles, tmp_path: Path) -> None:
    other = ensure_dev_tls(tmp_path / "other-tls")  # a different CA
    server = _EchoServer(server_ssl_context(tls_files.server_cert, tls_files.server_key))
    try:
        with pytest.raises(ssl.SSLCertVerificationError):
            _roundtrip(server.port, _client_ctx(other.ca_cert), "127.0.0.1")
    finally:
        server.close()


def test_concurrent_first_starts_agree_on_one_ca(tmp_path: Path) -> None:
    """Several workers creating the material at once must end with one CA and a cert it signed."""
    tls_dir = tmp_path / "tls"
    barrier = threading.Barrier(6)
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            barrier.wait()
            ensure_dev_tls(tls_dir)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors
    _load(tls_dir / "server.pem").verify_directly_issued_by(_load(tls_dir / "ca.pem"))
    before = _snapshot(tls_dir)
    ensure_dev_tls(tls_dir)
    assert _snapshot(tls_dir) == before
