#!/usr/bin/env bash
# The local AWS emulator (moto's server), installed into a project-local virtualenv.
#
#   scripts/emulator.sh install        create .venv and install the pinned moto[server]
#   scripts/emulator.sh start [PORT]   start it on 127.0.0.1 (a free port unless given); prints the endpoint
#   scripts/emulator.sh stop           stop the server started by `start`
#
# Why a script and not a global install: CI runs on a fresh clone with only Rust, Python 3 and pip,
# so the project must bring its own emulator, at one pinned version, without touching the system.
set -euo pipefail

MOTO_VERSION="5.2.5"   # pinned: behaviour notes in ../shared/design/FACTS.md were checked on it
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$root/.venv"
state="$root/.emulator"

install() {
  if [ -x "$venv/bin/moto_server" ] && "$venv/bin/python" -c "import moto,sys; sys.exit(moto.__version__ != '$MOTO_VERSION')" 2>/dev/null; then
    return 0
  fi
  echo "installing moto[server]==$MOTO_VERSION into $venv" >&2
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "moto[server]==$MOTO_VERSION" >&2
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

start() {
  install
  mkdir -p "$state"
  local port="${1:-$(free_port)}"
  "$venv/bin/moto_server" -H 127.0.0.1 -p "$port" >"$state/moto.log" 2>&1 &
  echo $! >"$state/pid"
  for _ in $(seq 1 100); do
    if python3 - "$port" <<'PY' 2>/dev/null
import sys, urllib.request
urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/moto-api/", timeout=1)
PY
    then
      echo "http://127.0.0.1:$port" | tee "$state/endpoint"
      return 0
    fi
    sleep 0.1
  done
  echo "moto_server did not answer on port $port; see $state/moto.log" >&2
  return 1
}

stop() {
  if [ -f "$state/pid" ]; then
    kill "$(cat "$state/pid")" 2>/dev/null || true
    rm -f "$state/pid" "$state/endpoint"
  fi
}

case "${1:-}" in
  install) install ;;
  start) shift; start "$@" ;;
  stop) stop ;;
  *) echo "usage: $0 install|start [PORT]|stop" >&2; exit 2 ;;
esac
