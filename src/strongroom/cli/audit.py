"""``strongroom audit``: list, follow, export and verify the audit trail; purge old events."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import IO

from strongroom.cli.common import data_dir_argument, database_argument
from strongroom.cli.progress import ProgressBar, progress
from strongroom.domain.audit import AuditFilter, StoredAuditEvent
from strongroom.domain.clock import SystemClock
from strongroom.server.config import ServerConfig
from strongroom.server.wiring import open_store
from strongroom.service.audit import AuditTrail
from strongroom.storage.base import Store

FOLLOW_POLL_SECONDS = 0.5


def _moment(text: str) -> float:
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO 8601 time: {text}") from None


def add_parser(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    actions = commands.add_parser("audit", help="read and check the audit trail").add_subparsers(
        dest="action", required=True)
    listing = actions.add_parser("list", help="show events, oldest first (JSON Lines with --json)")
    export = actions.add_parser("export", help="write events as JSON Lines to a file ('-' for stdout)")
    export.add_argument("file")
    for action in (listing, export):
        action.add_argument("--since", type=_moment, help="ISO 8601 time")
        action.add_argument("--until", type=_moment, help="ISO 8601 time")
        action.add_argument("--key", help="key ARN")
        action.add_argument("--principal", help="principal ARN")
        action.add_argument("--event", help="event name, e.g. Decrypt")
        action.add_argument("--errors", action="store_true", help="only failed or denied requests")
    listing.add_argument("--json", action="store_true", help="print the full records as JSON Lines")
    listing.add_argument("--follow", action="store_true", help="keep printing new events until interrupted")
    verify = actions.add_parser("verify", help="check the hash chain; report the first broken link")
    purge = actions.add_parser("purge", help="delete events older than a number of days")
    purge.add_argument("--older-than-days", type=float, required=True)
    for action in (listing, export, verify, purge):
        data_dir_argument(action)
        database_argument(action)
        action.set_defaults(run=run)


def _summary(stored: StoredAuditEvent) -> str:
    record = stored.event.record
    outcome = record.get("errorCode") or "OK"
    who = stored.event.principal_arn or record.get("userIdentity", {}).get("accessKeyId", "-")
    return f"{record['eventTime']}\t{stored.event.event_name}\t{outcome}\t{who}\t{stored.event.key_arn or '-'}"


def _emit(events, out: IO[str], line: Callable[[StoredAuditEvent], str],  # type: ignore[no-untyped-def]
          bar: ProgressBar | None = None) -> int:
    last = 0
    for stored in events:
        out.write(line(stored) + "\n")
        last = stored.seq
        if bar is not None:
            bar.advance()
    out.flush()
    return last


def trail_length(store: Store) -> int:
    """How many events the trail holds: its sequence numbers run without gaps from the oldest kept event."""
    newest = store.last_audit_link()
    oldest = store.query_audit(AuditFilter(limit=1))
    return newest[0] - oldest[0].seq + 1 if newest is not None and oldest else 0


def _export(trail: AuditTrail, store: Store, where: AuditFilter, file: str) -> None:
    """The bar counts against the whole trail when every event is exported; with a filter, the count alone. It is
    not drawn when the events go to the same terminal."""
    unfiltered = where == AuditFilter()
    to_stdout = file == "-"
    out = sys.stdout if to_stdout else Path(file).open("w")
    try:
        with progress("exporting", total=trail_length(store) if unfiltered else None, unit="events",
                      enabled=False if to_stdout and sys.stdout.isatty() else None) as bar:
            _emit(trail.all(where), out, lambda s: s.record_json, bar)
    finally:
        if out is not sys.stdout:
            out.close()


def run(args: argparse.Namespace) -> int:
    store = open_store(ServerConfig(data_dir=args.data_dir, database_url=args.database))
    trail = AuditTrail(store, SystemClock())
    try:
        if args.action == "verify":
            check = trail.verify()
            if check.intact:
                print(f"audit chain intact: {check.events} events")
                return 0
            print(f"audit chain broken at event {check.first_broken_seq}: {check.reason}", file=sys.stderr)
            return 1
        if args.action == "purge":
            print(f"purged {trail.purge(args.older_than_days)} events")
            return 0
        where = AuditFilter(args.since, args.until, args.key, args.principal, args.event, args.errors)
        if args.action == "export":
            _export(trail, store, where, args.file)
            return 0
        line = (lambda s: s.record_json) if args.json else _summary
        last = _emit(trail.all(where), sys.stdout, line)
        while args.follow:
            time.sleep(FOLLOW_POLL_SECONDS)
            where = AuditFilter(args.since, args.until, args.key, args.principal, args.event, args.errors,
                                after_seq=last)
            last = _emit(trail.all(where), sys.stdout, line) or last
        return 0
    except KeyboardInterrupt:
        return 0
    finally:
        store.close()
