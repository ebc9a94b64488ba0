"""``strongroom kmip-clients``: an operator binds client certificates to principals, lists and revokes them."""

from __future__ import annotations

import stat
import subprocess
import sys
from pathlib import Path

from cryptography import x509

from strongroom.crypto.certificates import certificate_identity
from strongroom.server.tls import issue_client_certificate
from strongroom.trust.key_file import create_root_key_file


def strongroom(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "strongroom", "kmip-clients", *args, "--data-dir", str(data_dir)],
                          capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)


def fields(output: str) -> dict[str, str]:
    return dict(line.split(" = ", 1) for line in output.splitlines() if " = " in line)


def test_issue_from_the_dev_ca_list_and_revoke(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    create_root_key_file(data / "root.key")
    done = strongroom(data, "issue", "--account", "111122223333", "--name", "backup-agent", "--out",
                      str(tmp_path / "client"))
    assert done.returncode == 0, done.stderr
    out = fields(done.stdout)
    cert = x509.load_pem_x509_certificate(Path(out["certificate"]).read_bytes())
    ca = x509.load_pem_x509_certificate(Path(out["ca"]).read_bytes())
    cert.verify_directly_issued_by(ca)
    assert stat.S_IMODE(Path(out["key"]).stat().st_mode) == 0o600
    assert out["principal"] == "111122223333/root"
    assert out["matches"] == "sha256:" + certificate_identity(Path(out["certificate"]).read_bytes()).fingerprint

    listed = strongroom(data, "list")
    assert listed.returncode == 0 and out["binding"] in listed.stdout
    assert strongroom(data, "revoke", out["binding"]).returncode == 0
    assert out["binding"] not in strongroom(data, "list").stdout
    again = strongroom(data, "revoke", out["binding"])
    assert again.returncode == 1 and "no client certificate binding" in again.stderr


def test_bind_an_existing_certificate_or_an_issuer_and_subject(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    create_root_key_file(data / "root.key")
    cert_pem, _ = issue_client_certificate(tmp_path / "corp-ca", "app")
    (tmp_path / "app.pem").write_bytes(cert_pem)
    by_cert = strongroom(data, "issue", "--account", "111122223333", "--cert", str(tmp_path / "app.pem"))
    assert by_cert.returncode == 0, by_cert.stderr
    identity = certificate_identity(cert_pem)
    by_name = strongroom(data, "issue", "--account", "111122223333", "--issuer", identity.issuer, "--subject",
                         identity.subject)
    assert by_name.returncode == 0, by_name.stderr
    assert fields(by_name.stdout)["matches"] == f"issuer={identity.issuer!r} subject={identity.subject!r}"

    both = strongroom(data, "issue", "--account", "111122223333", "--cert", str(tmp_path / "app.pem"), "--issuer",
                      "CN=x", "--subject", "CN=y")
    assert both.returncode == 2 and "not both" in both.stderr
    no_out = strongroom(data, "issue", "--account", "111122223333")
    assert no_out.returncode == 2 and "--out" in no_out.stderr
    (tmp_path / "junk.pem").write_bytes(b"not a certificate")
    junk = strongroom(data, "issue", "--account", "111122223333", "--cert", str(tmp_path / "junk.pem"))
    assert junk.returncode == 1 and "not an X.509 certificate" in junk.stderr and "Traceback" not in junk.stderr
