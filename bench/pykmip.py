"""The PyKMIP server, the KMIP peer: ``pykmip-server -f <conf> -l <log>`` (the script of the ``pykmip`` package in
the venv) on a loopback port, in TLS 1.2 mode with client certificates required, a fresh SQLite database in the
run's work directory and WARNING logging (at INFO it logs every request); stopped by its PID.

It serves the Strongroom dev server's own certificate (signed by the dev CA, IP SAN 127.0.0.1, ECDSA P-256) and
trusts the dev CA, so one client certificate (the dev KMIP client's) and one client TLS context serve both
servers, and both handshakes use the same key types.
"""

from __future__ import annotations

import shutil
from importlib import metadata
from pathlib import Path

from bench.kmip import KmipTarget, strongroom_client_tls
from bench.processes import free_port, port_open, start_process, wait_until
from bench.systems import VENV_BIN, clean_env

PYKMIP_BINARY = VENV_BIN / "pykmip-server"
START_ATTEMPTS = 3
STOP_GRACE_S = 3.0  # its accept loop wakes every 10 s and then joins each session thread for 10 s; nothing to keep


def available() -> bool:
    return PYKMIP_BINARY.exists()


def version() -> str:
    try:
        return metadata.version("pykmip")
    except metadata.PackageNotFoundError:
        return "?"


def server_config(port: int, cert: Path, key: Path, ca: Path, policy_dir: Path, database: Path) -> str:
    """The ``[server]`` section of PyKMIP's configuration file."""
    return "\n".join([
        "[server]", "hostname=127.0.0.1", f"port={port}", f"certificate_path={cert}", f"key_path={key}",
        f"ca_path={ca}", "auth_suite=TLS1.2", f"policy_path={policy_dir}", "enable_tls_client_auth=True",
        "logging_level=WARNING", f"database_path={database}", ""])


def start_pykmip(work: Path, tls_dir: Path, log_dir: Path) -> KmipTarget:
    """A running PyKMIP server (its objects not made yet); ``tls_dir`` is a Strongroom dev server's ``DIR/tls``."""
    if work.exists():
        shutil.rmtree(work)  # the database persists between starts: every run begins empty
    policy_dir = work / "policies"
    policy_dir.mkdir(parents=True)
    client = strongroom_client_tls(tls_dir)
    for attempt in range(START_ATTEMPTS):  # a port taken between choosing and binding it: try another
        port = free_port()
        database = work / f"pykmip-{attempt}.db"
        conf = work / "server.conf"
        conf.write_text(server_config(port, tls_dir / "server.pem", tls_dir / "server-key.pem", client.ca,
                                      policy_dir, database))
        argv = [str(PYKMIP_BINARY), "-f", str(conf), "-l", str(log_dir / "pykmip-server.log")]
        process = start_process("pykmip", argv, log_path=log_dir / f"pykmip-{attempt}.out",
                                env=clean_env(PYTHONWARNINGS="ignore", HOME=str(work)), cwd=work)
        try:
            wait_until(lambda p=port: port_open(p), process, timeout=30.0)
        except RuntimeError:
            exited = not process.alive()
            process.stop(grace=STOP_GRACE_S)
            if attempt + 1 == START_ATTEMPTS or not exited:
                raise
            continue
        except BaseException:
            process.stop(grace=STOP_GRACE_S)
            raise
        return KmipTarget("pykmip", port, process, client, stop_grace_s=STOP_GRACE_S)
    raise AssertionError("unreachable")
