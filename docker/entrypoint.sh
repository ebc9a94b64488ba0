#!/bin/sh
# The image's entry point.
#   server [OPTION…]         strongroom server (options, or their STRONGROOM_* variables)
#   health                   exit 0 when GET /health on the HTTP port answers 200 (the image's health check)
#   init-shared DIR [HOST…]  make a root key and a dev CA with a server certificate for HOSTs in DIR, once: what
#                            the nodes of compose.yaml share
#   anything else            strongroom with those arguments (strongroom credentials …, strongroom backup …)
set -eu

command="${1:-server}"
[ "$#" -gt 0 ] && shift

case "$command" in
  server)
    exec strongroom server "$@"
    ;;
  health)
    exec python3 -c '
import os, sys, urllib.request
port = os.environ.get("STRONGROOM_PORT", "8080")
try:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as answer:
        sys.exit(0 if answer.status == 200 else 1)
except OSError as exc:
    print(f"unhealthy: {exc}", file=sys.stderr)
    sys.exit(1)
'
    ;;
  init-shared)
    [ "$#" -ge 1 ] || { echo "usage: strongroom-entrypoint init-shared DIR [HOST…]" >&2; exit 2; }
    exec python3 -c '
import sys
from pathlib import Path
from strongroom.server.tls import ensure_dev_tls
from strongroom.trust.key_file import create_root_key_file
shared = Path(sys.argv[1])
shared.mkdir(parents=True, exist_ok=True)
if not (shared / "root.key").exists():
    create_root_key_file(shared / "root.key")
ensure_dev_tls(shared / "tls", ["127.0.0.1", "localhost", *sys.argv[2:]])
print(f"shared root key and TLS material in {shared}")
' "$@"
    ;;
  *)
    exec strongroom "$command" "$@"
    ;;
esac
