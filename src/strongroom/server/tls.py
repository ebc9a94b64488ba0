"""Dev-mode TLS material: a private CA and a server certificate signed by it.

``strongroom server --dev`` needs HTTPS out of the box, because MongoDB drivers (libmongocrypt) refuse to
talk to a KMS over plain HTTP. :func:`ensure_dev_tls` creates, once, a small dev CA and a server
certificate for the listening hosts (an IP SAN for an IP literal, a DNS SAN otherwise; ``127.0.0.1`` needs
the IP SAN) and reuses them on later starts, so a client that trusts ``ca.pem`` keeps trusting the server
across restarts.

Files in ``tls_dir``::

    ca.pem            the dev CA certificate (give it to clients: ``--ca-bundle``, ``tlsCAFile``)   0644
    ca-key.pem        the dev CA private key                                                         0600
    server.pem        the server certificate, signed by the CA                                        0644
    server-key.pem    the server private key                                                          0600

Every file is written atomically (temporary file, fsync, rename, fsync of the directory), and a lock file
serialises concurrent starts (several workers calling this at once must end up with one CA, not two).
The server certificate is reissued, with the existing CA, when it is missing, expires within 30 days, does
not cover the requested hosts, or was not signed by the current CA. The CA is only recreated when its own
files are missing or unusable (which invalidates the server certificate too).

Keys are ECDSA P-256, stored unencrypted as PKCS#8 PEM: this is dev material, protected by file mode only.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import ipaddress
import logging
import os
import ssl
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

try:  # POSIX only; without it concurrent first starts are not serialised
    import fcntl
except ImportError:  # pragma: no cover
    fcntl = None  # type: ignore[assignment]

log = logging.getLogger(__name__)

CA_CERT_FILE = "ca.pem"
CA_KEY_FILE = "ca-key.pem"
SERVER_CERT_FILE = "server.pem"
SERVER_KEY_FILE = "server-key.pem"
LOCK_FILE = ".tls.lock"

CA_VALIDITY = dt.timedelta(days=3650)
SERVER_VALIDITY = dt.timedelta(days=825)  # the CA/Browser-forum ceiling clients such as macOS still enforce
RENEW_BEFORE = dt.timedelta(days=30)
BACKDATE = dt.timedelta(minutes=5)  # tolerate small clock skew between this host and its clients

DEFAULT_HOSTS: tuple[str, ...] = ("127.0.0.1", "localhost")


@dataclass(frozen=True)
class TlsFiles:
    ca_cert: Path
    server_cert: Path
    server_key: Path


def ensure_dev_tls(tls_dir: Path, hosts: Sequence[str] = DEFAULT_HOSTS) -> TlsFiles:
    """Create (or reuse) the dev CA and a server certificate for ``hosts`` under ``tls_dir``."""
    names = _normalise_hosts(hosts)
    tls_dir = Path(tls_dir)
    tls_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    files = TlsFiles(
        ca_cert=tls_dir / CA_CERT_FILE,
        server_cert=tls_dir / SERVER_CERT_FILE,
        server_key=tls_dir / SERVER_KEY_FILE,
    )
    ca_key_path = tls_dir / CA_KEY_FILE

    with _locked(tls_dir / LOCK_FILE):
        now = dt.datetime.now(dt.UTC)
        ca = _load_ca(files.ca_cert, ca_key_path, now)
        if ca is None:
            log.info("creating a dev TLS certificate authority in %s", tls_dir)
            ca_key = ec.generate_private_key(ec.SECP256R1())
            ca_cert = _make_ca_cert(ca_key, now)
            _atomic_write(ca_key_path, _key_pem(ca_key), 0o600)
            _atomic_write(files.ca_cert, ca_cert.public_bytes(serialization.Encoding.PEM), 0o644)
            ca = (ca_cert, ca_key)
        ca_cert, ca_key = ca

        if not _server_cert_usable(files.server_cert, files.server_key, ca_cert, names, now):
            log.info("issuing a dev TLS server certificate for %s", ", ".join(names))
            server_key = ec.generate_private_key(ec.SECP256R1())
            server_cert = _make_server_cert(server_key, ca_cert, ca_key, names, now)
            _atomic_write(files.server_key, _key_pem(server_key), 0o600)
            _atomic_write(files.server_cert, server_cert.public_bytes(serialization.Encoding.PEM), 0o644)
    return files


HTTPS_TLS12_CIPHERS = "ECDHE+AESGCM:ECDHE+CHACHA20"  # forward secrecy and AEAD only (TLS 1.3's are all AEAD)


def server_ssl_context(cert: Path, key: Path) -> ssl.SSLContext:
    """A TLS server context (TLS 1.2 minimum) serving ``cert`` with ``key``. Under TLS 1.2 it offers only ECDHE
    suites with AES-GCM or ChaCha20-Poly1305: every HTTPS client of a KMS (botocore, libmongocrypt, the Azure and
    Google SDKs, hvac) has them, and CBC suites are what TLS scanners flag. The KMIP listener keeps OpenSSL's
    forward-secret defaults, which include the CBC-SHA256 suites of KMIP's TLS 1.2 profile."""
    ctx = _server_context(cert, key)
    ctx.set_ciphers(HTTPS_TLS12_CIPHERS)
    ctx.set_alpn_protocols(["http/1.1"])
    return ctx


def _server_context(cert: Path, key: Path) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.options |= ssl.OP_NO_COMPRESSION | ssl.OP_CIPHER_SERVER_PREFERENCE
    ctx.options |= getattr(ssl, "OP_NO_RENEGOTIATION", 0)
    ctx.load_cert_chain(certfile=str(cert), keyfile=str(key))
    return ctx


def issue_client_certificate(tls_dir: Path, common_name: str) -> tuple[bytes, bytes]:
    """A client certificate (for mutual TLS, e.g. KMIP) for ``common_name``, signed by the dev CA of ``tls_dir``
    (created first if missing): its PEM certificate and PEM private key."""
    ensure_dev_tls(tls_dir)
    with _locked(Path(tls_dir) / LOCK_FILE):
        now = dt.datetime.now(dt.UTC)
        ca = _load_ca(Path(tls_dir) / CA_CERT_FILE, Path(tls_dir) / CA_KEY_FILE, now)
    if ca is None:
        raise RuntimeError(f"the dev CA in {tls_dir} is unusable")
    key = ec.generate_private_key(ec.SECP256R1())
    cert = _make_leaf_cert(key, ca[0], ca[1], common_name, now, ExtendedKeyUsageOID.CLIENT_AUTH)
    return cert.public_bytes(serialization.Encoding.PEM), _key_pem(key)


def mutual_tls_context(cert: Path, key: Path, client_ca: Path) -> ssl.SSLContext:
    """A TLS server context (TLS 1.2 minimum) that requires a client certificate issued by ``client_ca``. It
    issues no TLS 1.3 session tickets: KMIP clients such as libmongocrypt open a connection per message and never
    resume, so making tickets would be work for nothing on every handshake."""
    ctx = _server_context(cert, key)
    ctx.load_verify_locations(cafile=str(client_ca))
    ctx.verify_mode = ssl.CERT_REQUIRED
    ctx.num_tickets = 0
    return ctx


# --------------------------------------------------------------------------------------------- helpers


def _normalise_hosts(hosts: Sequence[str]) -> list[str]:
    if isinstance(hosts, str):
        hosts = [hosts]
    names: list[str] = []
    for raw in hosts:
        host = raw.strip()
        if host.startswith("[") and host.endswith("]"):  # "[::1]"
            host = host[1:-1]
        if not host:
            raise ValueError(f"invalid TLS host name {raw!r}")
        if _ip(host) is None:
            host = host.lower().rstrip(".")
        if host not in names:
            names.append(host)
    if not names:
        raise ValueError("at least one host is needed for the dev TLS certificate")
    return names


def _ip(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def _san_entries(names: Sequence[str]) -> list[x509.GeneralName]:
    entries: list[x509.GeneralName] = []
    for name in names:
        ip = _ip(name)
        entries.append(x509.IPAddress(ip) if ip is not None else x509.DNSName(name))
    return entries


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _make_ca_cert(key: ec.EllipticCurvePrivateKey, now: dt.datetime) -> x509.Certificate:
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Strongroom dev"),
            x509.NameAttribute(NameOID.COMMON_NAME, "Strongroom dev CA"),
        ]
    )
    ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - BACKDATE)
        .not_valid_after(now + CA_VALIDITY)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(ski, critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski), critical=False)
        .sign(key, hashes.SHA256())
    )


def _make_server_cert(
    key: ec.EllipticCurvePrivateKey,
    ca_cert: x509.Certificate,
    ca_key: ec.EllipticCurvePrivateKey,
    names: Sequence[str],
    now: dt.datetime,
) -> x509.Certificate:
    return _make_leaf_cert(key, ca_cert, ca_key, names[0], now, ExtendedKeyUsageOID.SERVER_AUTH, names)


def _make_leaf_cert(
    key: ec.EllipticCurvePrivateKey,
    ca_cert: x509.Certificate,
    ca_key: ec.EllipticCurvePrivateKey,
    common_name: str,
    now: dt.datetime,
    usage: x509.ObjectIdentifier,
    names: Sequence[str] = (),
) -> x509.Certificate:
    not_after = min(now + SERVER_VALIDITY, ca_cert.not_valid_after_utc)
    ca_ski = ca_cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    builder = (
        x509.CertificateBuilder()
        .subject_name(
            x509.Name(
                [
                    x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Strongroom dev"),
                    x509.NameAttribute(NameOID.COMMON_NAME, common_name[:64]),
                ]
            )
        )
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - BACKDATE)
        .not_valid_after(not_after)
    )
    if names:
        builder = builder.add_extension(x509.SubjectAlternativeName(_san_entries(names)), critical=False)
    return (
        builder
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski), critical=False)
        .sign(ca_key, hashes.SHA256())
    )


def _load_ca(
    cert_path: Path, key_path: Path, now: dt.datetime
) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey] | None:
    """The existing CA, or None when it is missing, unreadable, mismatched or about to expire."""
    if not (cert_path.exists() and key_path.exists()):
        return None
    try:
        cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
        key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
    except (ValueError, TypeError) as exc:
        log.warning("dev TLS CA in %s is unusable (%s); creating a new one", cert_path.parent, exc)
        return None
    if not isinstance(key, ec.EllipticCurvePrivateKey) or _spki(cert.public_key()) != _spki(key.public_key()):
        log.warning("dev TLS CA key does not match %s; creating a new CA", cert_path)
        return None
    if cert.not_valid_after_utc - RENEW_BEFORE <= now:
        log.warning("dev TLS CA %s expires soon; creating a new CA", cert_path)
        return None
    return cert, key


def _server_cert_usable(
    cert_path: Path,
    key_path: Path,
    ca_cert: x509.Certificate,
    names: Sequence[str],
    now: dt.datetime,
) -> bool:
    if not (cert_path.exists() and key_path.exists()):
        return False
    try:
        cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
        key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
        cert.verify_directly_issued_by(ca_cert)
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except (ValueError, TypeError, InvalidSignature, x509.ExtensionNotFound):
        return False
    if _spki(cert.public_key()) != _spki(key.public_key()):  # type: ignore[arg-type]
        return False
    if cert.not_valid_after_utc - RENEW_BEFORE <= now or cert.not_valid_before_utc > now:
        return False
    have = {str(v) for v in san.get_values_for_type(x509.IPAddress)}
    have |= {v.lower() for v in san.get_values_for_type(x509.DNSName)}
    return all(str(_ip(n)) in have if _ip(n) is not None else n in have for n in names)


def _spki(public_key: object) -> bytes:
    return public_key.public_bytes(  # type: ignore[attr-defined]
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def _atomic_write(path: Path, data: bytes, mode: int) -> None:
    """Write ``data`` to ``path`` so that readers see the old file or the whole new one, never a part."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, mode)  # mkstemp creates 0600: a key is never readable by others, even briefly
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    _fsync_dir(path.parent)


def _fsync_dir(directory: Path) -> None:
    try:
        dfd = os.open(directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:  # pragma: no cover - e.g. platforms without directory fds
        return
    try:
        os.fsync(dfd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(dfd)


@contextlib.contextmanager
def _locked(lock_path: Path) -> Iterator[None]:
    if fcntl is None:  # pragma: no cover
        yield
        return
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        try:
            fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)
