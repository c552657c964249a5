# shellcheck shell=bash
# Shared by scripts/test, scripts/demo, scripts/bench and .ci/run. Source, don't execute.

# shellcheck disable=SC2034  # used by the scripts that source this file
EVLOG_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

# Debian packages needed to build and test evlog.
EVLOG_DEBIAN_PACKAGES=(
  meson ninja-build g++ pkg-config python3
  libboost-json1.81-dev libboost-test1.81-dev libsqlite3-dev
  librocksdb-dev   # the benchmark harness's rocksdb subject
)

evlog_log() { printf '==> %s\n' "$*" >&2; }

# Installs the packages above that are missing (all of them are checked with
# dpkg -s; apt-get runs only when something is missing). Uses sudo when not
# root. EVLOG_FORCE_APT_UPDATE=1 runs apt-get update even if nothing is
# missing. EVLOG_SKIP_APT=1 skips all of it.
evlog_ensure_packages() {
  [[ ${EVLOG_SKIP_APT:-0} == 1 ]] && return 0
  if ! command -v dpkg >/dev/null 2>&1 || ! command -v apt-get >/dev/null 2>&1; then
    evlog_log "not a Debian-like system: not installing packages (need: ${EVLOG_DEBIAN_PACKAGES[*]})"
    return 0
  fi
  local missing=() p
  for p in "${EVLOG_DEBIAN_PACKAGES[@]}"; do
    dpkg -s "$p" 2>/dev/null | grep -q '^Status: install ok installed' || missing+=("$p")
  done
  [[ ${#missing[@]} -eq 0 && ${EVLOG_FORCE_APT_UPDATE:-0} != 1 ]] && return 0
  local sudo=()
  if [[ $(id -u) -ne 0 ]]; then
    if command -v sudo >/dev/null 2>&1; then
      sudo=(sudo)
    else
      evlog_log "missing packages (${missing[*]}) and not root, no sudo: install them yourself"
      return 1
    fi
  fi
  evlog_log "apt-get update"
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q || return 1
  if [[ ${#missing[@]} -gt 0 ]]; then
    evlog_log "apt-get install ${missing[*]}"
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
      apt-get install -y -q --no-install-recommends "${missing[@]}" || return 1
  fi
}

# evlog_configure BUILD_DIR [meson args...]: setup, or reconfigure when the
# directory is already configured (picks up new test files and headers, and
# any changed args).
evlog_configure() {
  local dir=$1; shift
  if [[ -f $dir/meson-private/coredata.dat ]]; then
    meson setup --reconfigure "$dir" "$@"
  else
    meson setup "$dir" "$@"
  fi
}

evlog_jobs() { echo "${EVLOG_JOBS:-$(nproc 2>/dev/null || echo 2)}"; }
