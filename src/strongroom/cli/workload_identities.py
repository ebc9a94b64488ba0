"""``strongroom azure apps …`` and ``strongroom gcp service-accounts …``: identities for the clouds' own SDKs.

* ``azure apps create --account ID`` registers an application: it prints the tenant id, client id and client
  secret that ``ClientSecretCredential`` or MongoDB's ``azure`` provider take (the secret is shown once).
* ``gcp service-accounts create --account ID --project P --name N`` makes a service account and writes its JSON
  key file (``--key-file``, mode 0600), the file google-auth and MongoDB's ``gcp`` provider read; its
  ``token_uri`` is Strongroom's token endpoint (``--token-uri``).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from datetime import UTC, datetime
from pathlib import Path

from strongroom.cli.common import run_with_core, store_arguments
from strongroom.domain.workload_identities import AZURE_APP, GCP_SERVICE_ACCOUNT, WorkloadIdentity
from strongroom.service.core import Core

DEFAULT_TOKEN_URI = "https://127.0.0.1:8443/token"  # the dev server's HTTPS port
_ACCOUNT_NAME = re.compile(r"^[a-z][a-z0-9-]{4,28}[a-z0-9]$")  # Google's rule for service account ids


def add_parser(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    azure = commands.add_parser("azure", help="identities for Azure SDKs and MongoDB's azure provider") \
        .add_subparsers(dest="group", required=True)
    apps = azure.add_parser("apps", help="application registrations (client id and secret)") \
        .add_subparsers(dest="action", required=True)
    create = apps.add_parser("create", help="register an application for a principal")
    create.add_argument("--account", required=True, help="12-digit account id")
    create.add_argument("--user", default="root", help="the principal's user (default: the account root)")
    create.add_argument("--tenant", help="the tenant (directory) id (default: one derived from the account)")
    create.add_argument("--description", default="")
    _common(apps, create, AZURE_APP, "application")

    gcp = commands.add_parser("gcp", help="identities for Google Cloud SDKs and MongoDB's gcp provider") \
        .add_subparsers(dest="group", required=True)
    accounts = gcp.add_parser("service-accounts", help="service accounts and their key files") \
        .add_subparsers(dest="action", required=True)
    make = accounts.add_parser("create", help="make a service account and write its JSON key file")
    make.add_argument("--account", required=True, help="12-digit account id")
    make.add_argument("--user", default="root", help="the principal's user (default: the account root)")
    make.add_argument("--project", required=True, help="the Google project id (the key rings' project)")
    make.add_argument("--name", required=True, help="the service account id: NAME@PROJECT.iam.gserviceaccount.com")
    make.add_argument("--key-file", type=Path, required=True, help="where the JSON key file goes (mode 0600)")
    make.add_argument("--token-uri", default=DEFAULT_TOKEN_URI,
                      help=f"the token endpoint (default {DEFAULT_TOKEN_URI})")
    make.add_argument("--description", default="")
    _common(accounts, make, GCP_SERVICE_ACCOUNT, "service account")


def _common(actions: argparse._SubParsersAction, create: argparse.ArgumentParser,  # type: ignore[type-arg]
            kind: str, noun: str) -> None:
    listing = actions.add_parser("list", help=f"list {noun}s")
    listing.add_argument("--account", help="only this account")
    delete = actions.add_parser("delete", help=f"delete a {noun}: every token it obtained stops working")
    delete.add_argument("identity_id", help="the client id or e-mail")
    for action in (create, listing, delete):
        store_arguments(action)
        action.set_defaults(run=run, kind=kind)


def run(args: argparse.Namespace) -> int:
    def act(core: Core) -> int | None:
        identities = core.workload_identities
        if args.action == "list":
            for identity in identities.list(args.kind, args.account):
                print(_line(identity))
            return None
        if args.action == "delete":
            identities.delete(args.identity_id)
            print(f"deleted {args.identity_id}")
            return None
        if args.kind == AZURE_APP:
            made = identities.create_secret_client(AZURE_APP, args.account, args.user, tenant=args.tenant,
                                                   description=args.description)
            print(f"tenant_id     = {made.identity.tenant}\nclient_id     = {made.identity.identity_id}\n"
                  f"client_secret = {made.client_secret}")
            return None
        return _create_service_account(core, args)
    return run_with_core(args, act)


def _create_service_account(core: Core, args: argparse.Namespace) -> int:
    if not _ACCOUNT_NAME.match(args.name):
        print("strongroom: --name must be 6-30 lower-case letters, digits and hyphens, starting with a letter",
              file=sys.stderr)
        return 2
    email = f"{args.name}@{args.project}.iam.gserviceaccount.com"
    made = core.workload_identities.create_key_client(GCP_SERVICE_ACCOUNT, args.account, args.user,
                                                      identity_id=email, tenant=args.project,
                                                      description=args.description)
    key_file = {"type": "service_account", "project_id": args.project, "private_key_id": made.identity.key_id,
                "private_key": made.private_key_pem, "client_email": email,
                "client_id": str(int.from_bytes(email.encode()[:8], "big")), "token_uri": args.token_uri,
                "auth_uri": "https://accounts.google.com/o/oauth2/auth",
                "auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs", "universe_domain":
                "googleapis.com"}
    args.key_file.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(args.key_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        json.dump(key_file, handle, indent=2)
    os.chmod(args.key_file, 0o600)
    print(f"client_email = {email}\nkey_file     = {args.key_file}")
    return 0


def _line(identity: WorkloadIdentity) -> str:
    created = datetime.fromtimestamp(identity.created_at, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return (f"{identity.identity_id}  tenant={identity.tenant}  principal={identity.account_id}/{identity.user_name}"
            f"  created={created}  {identity.description}").rstrip()
