#!/usr/bin/env bash
# Downstream consumer via a meson subproject: a fresh project in WORK_DIR
# whose subprojects/evlog is a symlink to this checkout; configure, build
# and run its Boost.Test program.
#
#   run.sh WORK_DIR [args for the test binary...]
#
# The test binary is WORK_DIR/build/consumer-test.
# Env: EVLOG_CONSUMER_MESON_ARGS (extra `meson setup` args).
set -euo pipefail
[[ $# -ge 1 ]] || { echo "usage: $0 WORK_DIR [test args...]" >&2; exit 2; }
work=$1; shift
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../../.." && pwd)

rm -rf "$work"; mkdir -p "$work/src/subprojects"; work=$(realpath "$work")
cp "$here/meson.build" "$here/main.cpp" "$here/../common/round_trip.hpp" "$work/src/"
ln -s "$repo" "$work/src/subprojects/evlog"

read -ra margs <<<"${EVLOG_CONSUMER_MESON_ARGS:-}"
echo "[consumer/subproject] meson setup (evlog as subproject)"
# --force-fallback-for: never pick up an evlog.pc installed on this machine.
meson setup "$work/build" "$work/src" --force-fallback-for=evlog "${margs[@]}" \
  >"$work/setup.log" 2>&1 || { cat "$work/setup.log" >&2; exit 1; }
meson compile -C "$work/build" >"$work/compile.log" 2>&1 \
  || { cat "$work/compile.log" >&2; exit 1; }

cd "$work/build"
exec ./consumer-test "$@"
