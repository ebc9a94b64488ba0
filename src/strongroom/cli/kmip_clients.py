"""``strongroom kmip-clients issue|list|revoke``: client certificates as credentials of a principal (KMIP's).

``issue`` binds a certificate the operator's own CA made (``--cert``, by fingerprint), or every certificate an
issuer gives a subject (``--issuer``/``--subject``, so renewals keep working), or, with neither, makes a new
certificate from the dev CA of ``DATA_DIR/tls`` and writes it and its key to ``--out``.
"""

from __future__ import annotations

import argparse
import os
import sys
from datetime import UTC, datetime
from pathlib import Path

from strongroom.cli.common import run_with_core, store_arguments
from strongroom.domain.client_certificates import CertificateBinding
from strongroom.server.tls import issue_client_certificate
from strongroom.service.core import Core


def add_parser(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    actions = commands.add_parser("kmip-clients", help="bind client certificates to principals (KMIP)") \
        .add_subparsers(dest="action", required=True)
    issue = actions.add_parser("issue", help="bind a client certificate (or make one from the dev CA)")
    issue.add_argument("--account", required=True, help="12-digit account id")
    issue.add_argument("--user", default="root", help="the principal's user (default: the account root)")
    issue.add_argument("--cert", type=Path, help="bind this PEM or DER certificate, by its fingerprint")
    issue.add_argument("--issuer", help="bind by issuer and subject: the issuer, RFC 4514 (e.g. 'CN=Corp CA')")
    issue.add_argument("--subject", help="... and the subject, RFC 4514")
    issue.add_argument("--name", default="kmip-client", help="common name of a dev-CA certificate")
    issue.add_argument("--out", type=Path, help="where a dev-CA certificate goes: OUT.pem and OUT-key.pem")
    issue.add_argument("--description", default="")
    listing = actions.add_parser("list", help="list bindings")
    listing.add_argument("--account", help="only this account")
    revoke = actions.add_parser("revoke", help="remove a binding: its certificates authenticate as nobody")
    revoke.add_argument("binding_id")
    for action in (issue, listing, revoke):
        store_arguments(action)
        action.set_defaults(run=run)


def write_client_files(out: Path, cert_pem: bytes, key_pem: bytes) -> tuple[Path, Path]:
    """``OUT.pem`` (0644) and ``OUT-key.pem`` (0600, created with that mode: the key is never world-readable)."""
    cert_path, key_path = out.with_name(out.name + ".pem"), out.with_name(out.name + "-key.pem")
    cert_path.parent.mkdir(parents=True, exist_ok=True)
    cert_path.write_bytes(cert_pem)
    descriptor = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(key_pem)
    os.chmod(key_path, 0o600)
    return cert_path, key_path


def _issue(core: Core, args: argparse.Namespace) -> int:
    clients = core.client_certificates
    if args.cert is not None or args.issuer or args.subject:
        if args.cert is not None and (args.issuer or args.subject):
            print("strongroom: give --cert, or --issuer and --subject, not both", file=sys.stderr)
            return 2
        certificate = args.cert.read_bytes() if args.cert is not None else None
        binding = clients.bind(args.account, args.user, certificate=certificate, issuer=args.issuer,
                               subject=args.subject, description=args.description)
    else:
        if args.out is None:
            print("strongroom: --out is required to make a certificate from the dev CA", file=sys.stderr)
            return 2
        cert_pem, key_pem = issue_client_certificate(args.data_dir / "tls", args.name)
        binding = clients.bind(args.account, args.user, certificate=cert_pem, description=args.description)
        cert_path, key_path = write_client_files(args.out, cert_pem, key_pem)
        print(f"certificate = {cert_path}\nkey = {key_path}\nca = {args.data_dir / 'tls' / 'ca.pem'}")
    print(f"binding = {binding.binding_id}\nprincipal = {binding.account_id}/{binding.user_name}\n"
          f"matches = {_matches(binding)}")
    return 0


def _matches(binding: CertificateBinding) -> str:
    if binding.fingerprint:
        return f"sha256:{binding.fingerprint}"
    return f"issuer={binding.issuer!r} subject={binding.subject!r}"


def run(args: argparse.Namespace) -> int:
    def act(core: Core) -> int:
        if args.action == "issue":
            return _issue(core, args)
        if args.action == "list":
            for b in core.client_certificates.list(args.account):
                created = datetime.fromtimestamp(b.created_at, UTC).isoformat(timespec="seconds")
                print(f"{b.binding_id}\t{b.account_id}\t{b.user_name}\t{_matches(b)}\t{created}\t{b.description}")
            return 0
        core.client_certificates.revoke(args.binding_id)
        return 0
    return run_with_core(args, act)
