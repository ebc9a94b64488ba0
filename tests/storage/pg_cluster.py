"""A throwaway PostgreSQL for the tests: a private cluster (``initdb`` + ``pg_ctl``) in a temporary directory,
on a free loopback port, or the server named by ``STRONGROOM_TEST_POSTGRES_DSN``.

A private cluster leaves the machine's own clusters alone, can be stopped and started by a test (database
outages), and is removed at the end. PostgreSQL refuses to run as root, so under root the cluster belongs to
the ``postgres`` account that Debian's package creates. Every process started here is stopped by its PID.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, urlencode

import psycopg

DSN_VARIABLE = "STRONGROOM_TEST_POSTGRES_DSN"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def find_bin_dir() -> Path | None:
    """The directory holding ``initdb`` and ``pg_ctl`` (Debian keeps them off PATH), newest version first."""
    found = shutil.which("initdb")
    if found and shutil.which("pg_ctl"):
        return Path(os.path.realpath(found)).parent
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                      key=lambda p: [int(x) for x in Path(p).parent.parent.name.split(".") if x.isdigit()])
    return Path(versions[-1]).parent if versions else None


def _alive(pid: int) -> bool:
    """False once the process is gone or a zombie (reaped here if it became our child)."""
    try:
        if os.waitpid(pid, os.WNOHANG)[0] == pid:
            return False
    except ChildProcessError:
        pass
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def with_database(dsn: str, dbname: str) -> str:
    """The same server and user, another database, as a ``postgresql://`` URL (what ``--database`` takes)."""
    parts = psycopg.conninfo.conninfo_to_dict(dsn)
    user = quote(str(parts.pop("user", "postgres")), safe="")
    password = parts.pop("password", None)
    auth = f"{user}:{quote(str(password), safe='')}" if password else user
    host, port = parts.pop("host", "127.0.0.1"), parts.pop("port", "5432")
    parts.pop("dbname", None)
    query = ("?" + urlencode(parts)) if parts else ""
    return f"postgresql://{auth}@{host}:{port}/{dbname}{query}"


@dataclass
class PgCluster:
    """A private cluster: ``start()``, ``stop()`` (an outage) and ``start()`` again on the same port, ``destroy()``."""

    bin_dir: Path
    root: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="strongroom-pg-")))
    port: int = field(default_factory=_free_port)
    pid: int | None = None

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def dsn(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        kw: dict = {}
        if os.geteuid() == 0:
            kw = {"user": "postgres", "group": pwd.getpwnam("postgres").pw_gid, "extra_groups": []}
        return subprocess.run([str(self.bin_dir / args[0]), *args[1:]], capture_output=True, text=True,
                              timeout=timeout, stdin=subprocess.DEVNULL, cwd=self.root, **kw)

    def init(self) -> PgCluster:
        if os.geteuid() == 0:
            entry = pwd.getpwnam("postgres")
            os.chown(self.root, entry.pw_uid, entry.pw_gid)
        done = self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8",
                         "--locale=C", "--no-sync")
        if done.returncode:
            raise RuntimeError(f"initdb failed: {done.stdout}{done.stderr}")
        with open(self.data / "postgresql.conf", "a") as conf:
            conf.write(f"listen_addresses = '127.0.0.1'\nport = {self.port}\nunix_socket_directories = '{self.root}'\n"
                       "fsync = off\nfull_page_writes = off\nmax_connections = 200\n")
        return self

    def start(self) -> None:
        done = self._run("pg_ctl", "-D", str(self.data), "-l", str(self.root / "server.log"), "-w", "-t", "60",
                         "start")
        if done.returncode:
            log = (self.root / "server.log").read_text(errors="replace") if (self.root / "server.log").exists() else ""
            raise RuntimeError(f"pg_ctl start failed: {done.stdout}{done.stderr}\n{log}")
        self.pid = int((self.data / "postmaster.pid").read_text().split()[0])

    def stop(self) -> None:
        """Fast shutdown of the postmaster by its PID (clients are disconnected), waiting until it is gone."""
        pid, self.pid = self.pid, None
        if pid is None:
            return
        try:
            os.kill(pid, signal.SIGINT)  # PostgreSQL's "fast" shutdown
        except ProcessLookupError:
            return
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if not _alive(pid):
                return
            time.sleep(0.05)
        os.kill(pid, signal.SIGKILL)

    def destroy(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)


@dataclass
class PgServer:
    """Where the tests' PostgreSQL is: an admin DSN, and the private cluster if the tests own it."""

    admin_dsn: str
    cluster: PgCluster | None = None
    created: list[str] = field(default_factory=list)

    def create_database(self) -> str:
        """A fresh, empty database; returns its DSN."""
        name = f"strongroom_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(self.admin_dsn, autocommit=True, connect_timeout=10) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        self.created.append(name)
        return with_database(self.admin_dsn, name)

    def drop_database(self, dsn: str) -> None:
        name = psycopg.conninfo.conninfo_to_dict(dsn)["dbname"]
        with psycopg.connect(self.admin_dsn, autocommit=True, connect_timeout=10) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if name in self.created:
            self.created.remove(name)

    def close(self) -> None:
        if self.cluster is not None:
            self.cluster.destroy()
            return
        for name in list(self.created):
            self.drop_database(with_database(self.admin_dsn, name))


def unavailable_reason() -> str | None:
    if os.environ.get(DSN_VARIABLE) or find_bin_dir() is not None:
        return None
    return (f"PostgreSQL is not installed (no initdb/pg_ctl on PATH or in /usr/lib/postgresql/*/bin) and "
            f"{DSN_VARIABLE} is not set; `make test` installs it when run as root")


def start_private_cluster() -> PgCluster:
    bin_dir = find_bin_dir()
    if bin_dir is None:
        raise RuntimeError(unavailable_reason())
    cluster = PgCluster(bin_dir).init()
    try:
        cluster.start()
    except BaseException:
        cluster.destroy()
        raise
    return cluster


def open_server() -> PgServer:
    external = os.environ.get(DSN_VARIABLE)
    if external:
        return PgServer(external)
    cluster = start_private_cluster()
    return PgServer(cluster.dsn, cluster)
