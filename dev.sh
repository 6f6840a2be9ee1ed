#!/usr/bin/env bash
# The two set-up commands of the README:
#   ./dev.sh start   install, create the database, load the demo city, run web + Redis + worker
#   ./dev.sh test    install the test tools and run the whole test suite
#   ./dev.sh lint    install the test tools and run ruff over the project
set -euo pipefail
cd "$(dirname "$0")"

PYTHON=${PYTHON:-python3}
VENV=.venv

ensure_venv() {
  if [ ! -x "$VENV/bin/python" ]; then
    if ! "$PYTHON" -m venv "$VENV" 2>/dev/null; then
      if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        apt-get update -qq && apt-get install -y -qq python3-venv >/dev/null
        "$PYTHON" -m venv "$VENV"
      else
        echo "Python's venv module is missing: sudo apt-get install python3-venv" >&2
        exit 1
      fi
    fi
  fi
  # Reinstall only when the dependencies changed.
  local stamp="$VENV/.installed-$(sha1sum pyproject.toml | cut -c1-12)"
  if [ ! -f "$stamp" ]; then
    "$VENV/bin/pip" install -q --upgrade pip
    "$VENV/bin/pip" install -q -e ".[test]"
    rm -f "$VENV"/.installed-* && touch "$stamp"
  fi
}

test_workers() {
  echo "${HOTLINE_TEST_WORKERS:-$(( $(nproc) * 2 ))}"
}

case "${1:-}" in
  start)
    ensure_venv
    "$VENV/bin/hotline" init-db
    "$VENV/bin/hotline" seed-demo
    exec "$VENV/bin/hotline" serve --host "${HOST:-127.0.0.1}" --port "${PORT:-5000}"
    ;;
  test)
    ensure_venv
    shift
    # the whole suite on two xdist workers per core unless told otherwise: a test spends most
    # of its time waiting (worker processes, browsers, deadlines a few seconds away), so one
    # worker per core leaves the machine idle more than half the time
    if [ $# -eq 0 ]; then set -- -n "$(test_workers)" --dist loadfile; fi
    exec "$VENV/bin/python" -m pytest "$@"
    ;;
  lint)
    ensure_venv
    shift
    exec "$VENV/bin/ruff" check "${@:-.}"
    ;;
  *)
    echo "usage: ./dev.sh start | ./dev.sh test [pytest arguments] | ./dev.sh lint" >&2
    exit 2
    ;;
esac
