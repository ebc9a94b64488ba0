"""``strongroom operator init | unseal | seal | status | rotate-root | migrate-root``: a node's seal state.

Each command talks to the running server's operator socket (``DATA_DIR/control.sock``), so each node of a
cluster is operated on its own. Exit status: 0 done, 1 refused (the message says why), 2 no server reached.
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from pathlib import Path
from typing import Any

from strongroom.cli.common import data_dir_argument
from strongroom.server.config import CONTROL_SOCKET, env_path
from strongroom.server.seal_control import ControlError, call


def add_parser(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    operator = commands.add_parser("operator", help="seal, unseal and change the root of trust of a running node")
    actions = operator.add_subparsers(dest="action", required=True)
    status = actions.add_parser("status", help="root of trust, sealed or not, unseal progress, key counts")
    init = actions.add_parser("init", help="shamir: create the root key, split it and print the shares once")
    unseal = actions.add_parser("unseal", help="enter one share (read from stdin or a hidden prompt); "
                                               "for other roots, retry the automatic unseal")
    unseal.add_argument("share", nargs="?", help="the share (better: leave it out and type or pipe it)")
    unseal.add_argument("--reset", action="store_true", help="forget the shares entered so far")
    seal = actions.add_parser("seal", help="seal: wipe the key-encryption key from every worker's memory")
    rotate = actions.add_parser("rotate-root", help="a new root key (new shares, HSM key or KMS key version); "
                                                    "rewraps the one KEK record, online")
    rotate.add_argument("--kms-key-id", help="kms: re-encrypt under this KMS key instead of rotating the current one")
    migrate = actions.add_parser("migrate-root", help="move the data store to another root of trust, online")
    migrate.add_argument("--root-of-trust", choices=("file", "shamir", "pkcs11", "kms"),
                         help="the new root (default: the --config file's kind)")
    migrate.add_argument("--config", type=Path, help="TOML with the new [root_of_trust] table")
    migrate.add_argument("--root-key-file", type=Path, help="file: where to create the new root key")
    for action in (init, rotate, migrate):
        action.add_argument("--shares", type=int, help="shamir: how many shares (default 5, or as before)")
        action.add_argument("--threshold", type=int, help="shamir: how many unseal (default 3, or as before)")
        action.add_argument("--age-recipient", action="append", default=[], metavar="AGE_PUBLIC_KEY",
                            help="shamir: encrypt share N to the N-th recipient (repeat once per share)")
    for action in (status, init, unseal, seal, rotate, migrate):
        data_dir_argument(action)
        action.add_argument("--control-socket", type=Path, default=env_path("STRONGROOM_CONTROL_SOCKET"),
                            help="the node's operator socket (default DATA_DIR/control.sock)")
        action.add_argument("--json", action="store_true", help="print the server's answer as JSON")
        action.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    path = args.control_socket or args.data_dir / CONTROL_SOCKET
    try:
        request = _request(args, path)
        if request is None:
            return 1
        answer = call(path, request)
    except ControlError as exc:
        print(f"strongroom: {exc}", file=sys.stderr)
        return 2
    if answer.get("shares") and getattr(args, "age_recipient", None):
        try:
            answer["shares"] = _encrypt_shares(answer["shares"], args.age_recipient)
        except ValueError as exc:  # the shares exist only here now: never lose them, print them plain
            print(f"strongroom: cannot encrypt the shares ({exc}); they are printed in the clear", file=sys.stderr)
    if args.json:
        print(json.dumps(answer, indent=2))
    else:
        _show(args.action, answer)
    return 0 if answer.get("ok") else 1


def _request(args: argparse.Namespace, path: Path) -> dict[str, Any] | None:
    op = args.action
    if op == "unseal":
        if args.reset:
            return {"op": "unseal", "reset": True}
        status = call(path, {"op": "status"})
        share = args.share
        if status.get("root_of_trust") == "shamir" and status.get("sealed") and not share:
            share = _read_share(status)
        return {"op": "unseal", "share": share}
    request: dict[str, Any] = {"op": op}
    if op in ("init", "rotate-root", "migrate-root"):
        request.update(shares=args.shares, threshold=args.threshold)
        if args.age_recipient:
            if args.shares and len(args.age_recipient) != args.shares:
                print("strongroom: give one --age-recipient per share", file=sys.stderr)
                return None
            try:
                _age_recipients(args.age_recipient)  # refuse a typo before any share exists
            except ValueError as exc:
                print(f"strongroom: {exc}", file=sys.stderr)
                return None
            request["shares"] = len(args.age_recipient)
    if op == "rotate-root":
        request["kms_key_id"] = args.kms_key_id
    if op == "migrate-root":
        if not (args.root_of_trust or args.config):
            print("strongroom: name the new root with --root-of-trust and/or --config", file=sys.stderr)
            return None
        request.update(root_of_trust=args.root_of_trust,
                       config_file=str(args.config.resolve()) if args.config else None,
                       root_key_file=str(args.root_key_file.resolve()) if args.root_key_file else None)
    return request


def _read_share(status: dict[str, Any]) -> str:
    progress = status.get("progress") or {}
    prompt = f"Unseal share ({progress.get('entered', 0) + 1} of {progress.get('threshold') or '?'}): "
    if sys.stdin.isatty():
        return getpass.getpass(prompt)
    return sys.stdin.readline().strip()


def _age_recipients(recipients: list[str]) -> list[Any]:
    """age X25519 public keys (``age1…``), through pyrage (the ``age`` extra)."""
    try:
        import pyrage
    except ImportError:
        raise ValueError("encrypting shares needs pyrage: pip install 'strongroom[age]'") from None
    try:
        return [pyrage.x25519.Recipient.from_str(recipient) for recipient in recipients]
    except pyrage.RecipientError as exc:
        raise ValueError(f"not an age public key: {exc}") from None


def _encrypt_shares(shares: list[str], recipients: list[str]) -> list[str]:
    """Share N encrypted to recipient N, ASCII-armored (decrypt with ``age -d -i KEY``)."""
    import pyrage

    if len(recipients) != len(shares):
        raise ValueError(f"{len(recipients)} age recipients for {len(shares)} shares")
    try:
        return [pyrage.encrypt(share.encode(), [recipient], armored=True).decode()
                for share, recipient in zip(shares, _age_recipients(recipients), strict=True)]
    except pyrage.EncryptError as exc:
        raise ValueError(str(exc)) from None


def _show(op: str, answer: dict[str, Any]) -> None:
    if not answer.get("ok"):
        print(f"strongroom: {answer.get('error')}", file=sys.stderr)
    if op == "status" and answer.get("ok"):
        _show_status(answer)
        return
    shares = answer.get("shares") or []
    if shares:
        threshold = answer.get("threshold") or "the threshold"
        print(f"The root key is split into {len(shares)} shares; any {threshold} of them unseal the server.\n"
              "They are shown this once: give each to a different operator, and keep none here.\n")
        for n, share in enumerate(shares, 1):
            print(f"Share {n} of {len(shares)}:\n{share}\n")
    if answer.get("note"):
        print(answer["note"])
    if op in ("unseal", "seal", "init") or answer.get("ok") is False:
        print(_seal_line(answer))


def _seal_line(answer: dict[str, Any]) -> str:
    if answer.get("sealed") is False:
        return "Unsealed."
    progress = answer.get("progress")
    if progress and progress.get("threshold"):
        return f"Sealed: {progress['entered']} of {progress['threshold']} shares entered."
    return "Sealed."


def _show_status(answer: dict[str, Any]) -> None:
    record = answer.get("record") or {}
    keys = answer.get("keys") or {}
    lines = [
        f"Root of trust:  {answer['root_of_trust']}"
        + (f" (the key store is wrapped by {record['root']})" if record.get("root", answer["root_of_trust"])
           != answer["root_of_trust"] else ""),
        f"Initialized:    {'yes' if answer.get('initialized') else 'no'}",
        f"State:          {_seal_line(answer)}",
        f"Keys:           {sum(keys.values())}" + (f" ({', '.join(f'{n} {s}' for s, n in sorted(keys.items()))})"
                                                   if keys else ""),
        f"Supervisor:     pid {answer.get('pid')}, workers {', '.join(map(str, answer.get('workers', [])))}",
    ]
    if answer.get("error"):
        lines.append(f"Last error:     {answer['error']}")
    print("\n".join(lines))
