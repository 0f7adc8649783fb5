# Shared by scripts/run and scripts/test: install whatever is missing, quickly when nothing is.
# Sourced, not run.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

# One cargo target directory reused across runs and clones: cold builds are slow on 2 cores.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/aura-dashboard/target}"
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
# cargo-leptos sets this while building; set it for plain cargo too so both share one compile.
export LEPTOS_OUTPUT_NAME=aura-dashboard
TOOLS_DIR="${AURA_TOOLS_DIR:-$HOME/.cache/aura-dashboard/tools}"
export PATH="$TOOLS_DIR/node_modules/.bin:$PATH"

CARGO_LEPTOS_VERSION=0.3.10
RUST_CHANNEL="$(sed -n 's/^channel = "\(.*\)"/\1/p' rust-toolchain.toml)"

# Each step is printed with the time since the script started, so a log shows where time goes.
say() { printf '\033[1m==> [%dm%02ds] %s\033[0m\n' "$((SECONDS / 60))" "$((SECONDS % 60))" "$*"; }

ensure_rust() {
  if ! command -v rustup >/dev/null 2>&1; then
    echo "rustup is required but not on PATH; install it from https://rustup.rs" >&2
    exit 1
  fi
  # The pinned toolchain with clippy, rustfmt and the wasm target; installed if any is missing.
  if ! rustup run "$RUST_CHANNEL" cargo clippy --version >/dev/null 2>&1 \
      || ! rustup run "$RUST_CHANNEL" cargo fmt --version >/dev/null 2>&1 \
      || ! rustup +"$RUST_CHANNEL" target list --installed 2>/dev/null | grep -x wasm32-unknown-unknown >/dev/null; then
    say "Installing Rust $RUST_CHANNEL with clippy, rustfmt and the wasm32 target"
    rustup toolchain install "$RUST_CHANNEL" --no-self-update --profile minimal -c rustfmt,clippy -t wasm32-unknown-unknown
  fi
}

ensure_cargo_leptos() {
  if ! cargo leptos --version 2>/dev/null | grep " $CARGO_LEPTOS_VERSION" >/dev/null; then
    say "Installing cargo-leptos $CARGO_LEPTOS_VERSION (several minutes on 2 cores, once)"
    # Its release profile asks for fat LTO and one codegen unit: a single link that took most of
    # 15-28 minutes on 2 cores. A build tool does not need that; see BENCHMARKS.md.
    CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 \
      cargo install cargo-leptos --locked --version "$CARGO_LEPTOS_VERSION"
  fi
}

ensure_wasm_bindgen() {
  local version
  version="$(grep -A1 '^name = "wasm-bindgen"$' Cargo.lock | sed -n 's/^version = "\(.*\)"/\1/p')"
  if ! wasm-bindgen --version 2>/dev/null | grep " $version$" >/dev/null; then
    say "Installing wasm-bindgen-cli $version (matches Cargo.lock)"
    # Not --locked: its lock file names a crate version the registry lacks.
    cargo install wasm-bindgen-cli --version "$version"
  fi
}

ensure_node_tools() {
  # wasm-opt from npm's binaryen: Debian's is too old. Kept in a private prefix.
  local have
  have="$(wasm-opt --version 2>/dev/null | sed -n 's/^wasm-opt version \([0-9]*\).*/\1/p' || true)"
  if [ -z "$have" ] || [ "$have" -lt 116 ]; then
    say "Installing wasm-opt (npm binaryen) into $TOOLS_DIR"
    mkdir -p "$TOOLS_DIR"
    npm install --prefix "$TOOLS_DIR" --no-audit --no-fund binaryen@132.0.0 >/dev/null
  fi
}

ensure_build_tools() {
  ensure_rust
  ensure_cargo_leptos
  ensure_wasm_bindgen
  ensure_node_tools
}

ensure_chromium() {
  if [ ! -x "${CHROMIUM:-/usr/bin/chromium}" ]; then
    say "Installing Debian's chromium for the browser tests"
    local sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    $sudo apt-get install -y chromium >/dev/null 2>&1 || { $sudo apt-get update >/dev/null && $sudo apt-get install -y chromium >/dev/null; }
  fi
}

ensure_end2end_deps() {
  if [ ! -d end2end/node_modules/@playwright/test ] || [ end2end/package-lock.json -nt end2end/node_modules/.package-lock.json ]; then
    say "Installing browser-test packages"
    (cd end2end && npm ci --no-audit --no-fund >/dev/null)
  fi
}

# Two strict iCalendar parsers from PyPI (vobject, used by CalDAV tools, and icalendar), and a real
# SMTP server (aiosmtpd) and the Standard Webhooks reference verifier, in a private virtual
# environment: the feed tests read every feed with
# both parsers; the mail tests send to the SMTP server. Sets AURA_TEST_PYTHON.
PY_TOOLS="vobject==0.9.9 icalendar==6.1.0 python-dateutil==4.0.0 pytz==2026.6 six==1.17.0 tzdata==2026.6 aiosmtpd==1.4.6 atpublic==5.1 attrs==25.4.0 standardwebhooks==1.3.0"
ensure_python_tools() {
  local venv="$TOOLS_DIR/py"
  if [ ! -f "$venv/.installed" ] || [ "$(cat "$venv/.installed")" != "$PY_TOOLS" ]; then
    say "Installing the strict iCalendar parsers (vobject, icalendar), aiosmtpd and standardwebhooks into $venv"
    rm -rf "$venv"
    # shellcheck disable=SC2086
    if python3 -m venv "$venv" 2>/dev/null; then
      "$venv/bin/pip" install --quiet --disable-pip-version-check $PY_TOOLS
    else
      # No venv module (Debian without python3-venv): the packages in a folder of their own, and
      # a python that finds them.
      rm -rf "$venv"
      python3 -m pip install --quiet --disable-pip-version-check --target "$venv/lib" $PY_TOOLS
      mkdir -p "$venv/bin"
      printf '#!/bin/sh\nPYTHONPATH="%s/lib${PYTHONPATH:+:$PYTHONPATH}" exec python3 "$@"\n' "$venv" >"$venv/bin/python"
      chmod +x "$venv/bin/python"
    fi
    echo "$PY_TOOLS" >"$venv/.installed"
  fi
  export AURA_TEST_PYTHON="$venv/bin/python"
}

# Debian's faketime (libfaketime), for running the suite at a chosen moment (scripts/test --at).
ensure_faketime() {
  FAKETIME_LIB="$(ls /usr/lib/*/faketime/libfaketimeMT.so.1 2>/dev/null | head -1 || true)"
  if [ -z "$FAKETIME_LIB" ]; then
    say "Installing Debian's faketime"
    local sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    $sudo apt-get install -y faketime >/dev/null 2>&1 || { $sudo apt-get update >/dev/null && $sudo apt-get install -y faketime >/dev/null; }
    FAKETIME_LIB="$(ls /usr/lib/*/faketime/libfaketimeMT.so.1 | head -1)"
  fi
}

# Sets CLOCK_ENV, the environment that makes a process tree's clock read MOMENT (anything
# `date -d` takes) now and run on from there: every process started with it shares one clock, the
# real one plus a fixed offset. Empty when no moment is given. File times stay real. The monotonic
# clock moves by the same offset (harmless: only its differences matter), because Chromium's
# renderer crashes at its first timer when only the wall clock is moved.
clock_at() {
  CLOCK_ENV=()
  [ -z "${1:-}" ] && return 0
  local target offset
  target="$(date -u -d "$1" +%s)"
  offset=$((target - $(date -u +%s)))
  CLOCK_ENV=(env "LD_PRELOAD=$FAKETIME_LIB" "FAKETIME=$(printf '%+d' "$offset")"
    NO_FAKE_STAT=1)
}

# A free TCP port on 127.0.0.1.
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# Waits until URL answers, or fails after SECONDS.
wait_for() {
  local url="$1" seconds="${2:-60}"
  for _ in $(seq 1 "$((seconds * 4))"); do
    if curl -fsS -o /dev/null "$url" 2>/dev/null; then return 0; fi
    sleep 0.25
  done
  echo "timed out waiting for $url" >&2
  return 1
}

# PostgreSQL's server programs (Debian's packages: the tests run a second time on PostgreSQL).
# Sets PG_BIN. Installed without the default cluster: the scripts make throwaway ones.
ensure_postgres() {
  PG_BIN="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)"
  if [ -z "$PG_BIN" ] || [ ! -x "$PG_BIN/initdb" ] || [ ! -x "$PG_BIN/pg_ctl" ]; then
    say "Installing Debian's PostgreSQL server"
    local sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    $sudo mkdir -p /etc/postgresql-common
    echo "create_main_cluster = false" | $sudo tee /etc/postgresql-common/createcluster.conf >/dev/null
    local install=(env DEBIAN_FRONTEND=noninteractive apt-get install -y -o Dpkg::Options::=--force-confold postgresql)
    $sudo "${install[@]}" >/dev/null 2>&1 || { $sudo apt-get update >/dev/null && $sudo "${install[@]}" >/dev/null; }
    PG_BIN="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)"
  fi
}

# Starts a throwaway PostgreSQL cluster on a free port in a new temporary folder, with any extra
# server options given (e.g. `-c fsync=off`). Sets PG_URL (a superuser's URL) and PG_DIR; stop it
# with stop_postgres. Run as root, the cluster runs as the `postgres` user (initdb refuses root).
start_postgres() {
  ensure_postgres
  # Started with CLOCK_ENV: on a chosen moment's run the database's clock reads it too.
  PG_DIR="$(mktemp -d)"
  PG_AS=()
  if [ "$(id -u)" -eq 0 ]; then
    chown postgres "$PG_DIR"
    # util-linux's runuser lives in sbin, which a non-login root PATH may lack.
    PG_AS=("$(PATH="$PATH:/usr/sbin:/sbin" command -v runuser)" -u postgres --)
  fi
  local port
  port="$(free_port)"
  if ! "${PG_AS[@]}" "$PG_BIN/initdb" -A trust -U postgres -D "$PG_DIR/data" >"$PG_DIR/initdb.log" 2>&1; then
    cat "$PG_DIR/initdb.log" >&2
    return 1
  fi
  "${PG_AS[@]}" "${CLOCK_ENV[@]}" "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w \
    -o "-p $port -k $PG_DIR -c listen_addresses=127.0.0.1 -c max_connections=300 $*" start >/dev/null
  PG_URL="postgres://postgres@127.0.0.1:$port/postgres"
}

stop_postgres() {
  if [ -n "${PG_DIR:-}" ]; then
    "${PG_AS[@]}" "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$PG_DIR"
    PG_DIR=""
  fi
}
