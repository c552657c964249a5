#!/usr/bin/env bash
# Downstream consumer via pkg-config: install an evlog build into a staging
# directory, then compile main.cpp with plain `c++ $(pkg-config ...)`,
# outside any build system, and run it.
#
#   run.sh EVLOG_BUILD_DIR WORK_DIR [args for the test binary...]
#
# The test binary is WORK_DIR/consumer-test. Env: CXX (default c++),
# CONSUMER_CXXFLAGS (default: -Wall -Wextra -Werror).
set -euo pipefail
[[ $# -ge 2 ]] || { echo "usage: $0 EVLOG_BUILD_DIR WORK_DIR [test args...]" >&2; exit 2; }
build=$(realpath "$1"); work=$2; shift 2
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

rm -rf "$work"; mkdir -p "$work"; work=$(realpath "$work")
stage=$work/stage

echo "[consumer/pkgconfig] meson install --destdir $stage"
meson install -C "$build" --no-rebuild --destdir "$stage" >"$work/install.log" 2>&1 \
  || { cat "$work/install.log" >&2; exit 1; }

prefix=$(meson introspect "$build" --buildoptions | python3 -c '
import json, sys
print(next(o["value"] for o in json.load(sys.stdin) if o["name"] == "prefix"))')
pc=$(find "$stage" -name evlog.pc -print -quit)
[[ -n $pc ]] || { echo "[consumer/pkgconfig] evlog.pc was not installed" >&2; exit 1; }
[[ -f $stage$prefix/include/evlog/version.hpp ]] \
  || { echo "[consumer/pkgconfig] headers not installed under $prefix/include/evlog" >&2; exit 1; }

PKG_CONFIG_PATH=$(dirname "$pc")${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}
export PKG_CONFIG_PATH
pcflags=(--define-variable=prefix="$stage$prefix")
cflags=$(pkg-config "${pcflags[@]}" --cflags evlog)
libs=$(pkg-config "${pcflags[@]}" --libs evlog)
echo "[consumer/pkgconfig] pkg-config --cflags --libs evlog: $cflags $libs"

cp "$here/main.cpp" "$here/../common/round_trip.hpp" "$work/"
read -ra extra <<<"${CONSUMER_CXXFLAGS:--Wall -Wextra -Werror}"
# shellcheck disable=SC2086  # word splitting of pkg-config output is intended
(cd "$work" && "${CXX:-c++}" -std=c++20 "${extra[@]}" -DBOOST_TEST_DYN_LINK $cflags \
   main.cpp -o consumer-test $libs -lboost_unit_test_framework)

cd "$work"
exec ./consumer-test "$@"
