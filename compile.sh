#!/usr/bin/env bash
# Builds dockgate as single-file executables, dist/dockgate-<target>, with
# `deno compile`. The Deno permissions come from src/cli/permissions.ts,
# the same place `deno task start` takes them from, and are embedded: the
# binary accepts no permission flags at run time.
#
# Usage: ./compile.sh [--help]
#
# Environment:
#   DOCKGATE_TARGETS       targets to build, separated by spaces or commas;
#                          "host" means this machine's. Default: every
#                          target in SUPPORTED_TARGETS, or "host" when
#                          DENORT_BIN is set.
#   DENORT_BIN             path of a local denort (the runtime that
#                          `deno compile` otherwise downloads), to build
#                          offline. It must be the denort of the same Deno
#                          version, for the one target being built.
#   DOCKGATE_DIST          output directory. Default: dist.
#   DOCKGATE_ALLOW_NET     --allow-net scope, comma-separated, or "all".
#                          Default: all. Unix sockets count as net in Deno
#                          (unix:/path, exact paths only), and a Unix
#                          listener starts under a random name, so a
#                          narrower scope only suits TCP listeners, e.g.
#                          "0.0.0.0:2375,127.0.0.1:2375,[::1]:2375,
#                          unix:/var/run/docker.sock".
#   DOCKGATE_SOCKET_PATHS  files and directories dockgate may read and
#                          write, comma-separated, or "all": the engine's
#                          socket and the directory of its own socket.
#                          Default: /var/run/docker.sock,/run/docker.sock,
#                          /var/run/dockgate,/run/dockgate.
#   DOCKGATE_CONFIG_PATHS  files and directories dockgate may only read:
#                          its config files. Default: /etc/dockgate.
#
# Whatever the scopes, the binary gets no --allow-run, --allow-ffi or
# --allow-sys. It may always read /etc/hostname (that file only), where it
# finds the ID of the container it runs in. Its environment access is
# unscoped (--allow-env): reading its own variables reaches nothing new on
# the host, and listing them is how a misspelled DKRPRX__ variable stops
# startup instead of silently dropping a filter.
set -euo pipefail

# deno compile --target values that suit dockgate. Windows is left out:
# its engine listens on a named pipe, which dockgate cannot reach.
readonly SUPPORTED_TARGETS=(
  x86_64-unknown-linux-gnu
  aarch64-unknown-linux-gnu
  x86_64-apple-darwin
  aarch64-apple-darwin
)
readonly SCOPE_VARIABLES=(
  DOCKGATE_ALLOW_NET
  DOCKGATE_SOCKET_PATHS
  DOCKGATE_CONFIG_PATHS
)
readonly SMOKE_TIMEOUT_SECONDS=30

cd "$(dirname "${BASH_SOURCE[0]}")"

die() {
  printf 'compile.sh: %s\n' "$1" >&2
  exit 1
}

usage() {
  sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed -e '$d' -e 's/^# \{0,1\}//'
}

host_target() {
  case "$(uname -s) $(uname -m)" in
    "Linux x86_64") echo x86_64-unknown-linux-gnu ;;
    "Linux aarch64" | "Linux arm64") echo aarch64-unknown-linux-gnu ;;
    "Darwin x86_64") echo x86_64-apple-darwin ;;
    "Darwin arm64") echo aarch64-apple-darwin ;;
    *) echo unknown ;;
  esac
}

is_supported() {
  local target
  for target in "${SUPPORTED_TARGETS[@]}"; do
    [[ "$1" == "${target}" ]] && return 0
  done
  return 1
}

# Prints the ELF machine field of $1 as four hex digits, or nothing.
elf_machine() {
  local magic
  magic=$(od -An -tx1 -N4 "$1" 2>/dev/null | tr -d ' \n')
  [[ "${magic}" == "7f454c46" ]] || return 0
  od -An -tx1 -j18 -N2 "$1" | tr -d ' \n'
}

# Checks that DENORT_BIN exists and, for Linux, is built for $1.
check_denort() {
  local target=$1 machine expected
  [[ -f "${DENORT_BIN}" && -x "${DENORT_BIN}" ]] ||
    die "DENORT_BIN is not an executable file: ${DENORT_BIN}"
  case "${target}" in
    x86_64-unknown-linux-gnu) expected=3e00 ;;
    aarch64-unknown-linux-gnu) expected=b700 ;;
    *) return 0 ;;
  esac
  machine=$(elf_machine "${DENORT_BIN}")
  [[ "${machine}" == "${expected}" ]] ||
    die "DENORT_BIN is not a runtime for ${target}: ${DENORT_BIN}"
}

# A binary for this machine must print our version: this catches a
# DENORT_BIN that is not denort (the deno CLI would just start a REPL).
smoke_test() {
  local binary=$1 version=$2 output
  local runner=()
  if command -v timeout >/dev/null; then
    runner=(timeout "${SMOKE_TIMEOUT_SECONDS}")
  fi
  output=$("${runner[@]}" "${binary}" --version </dev/null 2>&1) || true
  if [[ "${output}" != "dockgate ${version}" ]]; then
    rm -f "${binary}"
    die "${binary} printed \"${output%%$'\n'*}\" instead of \"dockgate ${version}\", so it was removed: is DENORT_BIN the denort of Deno ${DENO_VERSION}?"
  fi
}

write_checksums() {
  local dir=$1
  (
    cd "${dir}"
    if command -v sha256sum >/dev/null; then
      sha256sum dockgate-* >SHA256SUMS
    else
      shasum -a 256 dockgate-* >SHA256SUMS
    fi
  )
}

main() {
  if [[ "${1:-}" == "--help" || "${1:-}" == "-h" ]]; then
    usage
    return 0
  fi
  [[ $# -eq 0 ]] || die "unknown argument: $1 (see --help)"
  command -v deno >/dev/null || die "deno is not installed: install Deno 2 first"

  DENO_VERSION=$(deno --version | sed -n '1s/^deno \([^ ]*\).*/\1/p')
  local version
  version=$(deno eval --quiet --no-config \
    'console.log(JSON.parse(Deno.readTextFileSync("deno.json")).version)')
  [[ -n "${version}" ]] || die "deno.json has no version"

  local host requested target
  host=$(host_target)
  requested=${DOCKGATE_TARGETS:-}
  if [[ -z "${requested}" ]]; then
    if [[ -n "${DENORT_BIN:-}" ]]; then
      requested=host
    else
      requested="${SUPPORTED_TARGETS[*]}"
    fi
  fi
  local targets=()
  for target in ${requested//,/ }; do
    [[ "${target}" == host ]] && target=${host}
    is_supported "${target}" ||
      die "unsupported target: ${target} (supported: ${SUPPORTED_TARGETS[*]})"
    targets+=("${target}")
  done
  [[ ${#targets[@]} -gt 0 ]] || die "DOCKGATE_TARGETS names no target"
  if [[ -n "${DENORT_BIN:-}" ]]; then
    [[ ${#targets[@]} -eq 1 ]] ||
      die "DENORT_BIN is the runtime of one target, so DOCKGATE_TARGETS must name exactly one"
    check_denort "${targets[0]}"
  fi

  local flags_text
  flags_text=$(deno run --no-prompt \
    "--allow-env=$(IFS=,; echo "${SCOPE_VARIABLES[*]}")" \
    src/cli/permissions.ts) || die "cannot work out the permission flags"
  local flags=()
  mapfile -t flags <<<"${flags_text}"

  local dist=${DOCKGATE_DIST:-dist}
  mkdir -p "${dist}"
  local log
  log=$(mktemp)
  trap 'rm -f "${log}"' EXIT
  for target in "${targets[@]}"; do
    local output="${dist}/dockgate-${target}"
    # --no-code-cache: a compiled binary otherwise writes a V8 code cache
    # on its first run; a long-running proxy gains nothing from it, and a
    # read-only root filesystem should see no writes.
    # --exclude-unused-npm: keeps test-only packages out of the binary.
    if ! deno compile --quiet --frozen --no-code-cache --exclude-unused-npm \
      --target "${target}" --output "${output}" "${flags[@]}" \
      src/main.ts >"${log}" 2>&1; then
      if [[ -z "${DENORT_BIN:-}" ]] &&
        grep -q -e 'error sending request' -e 'dns error' "${log}"; then
        die "cannot download the Deno runtime (denort) for ${target} and DENORT_BIN is not set: set DENORT_BIN to a denort ${DENO_VERSION} binary for ${target} to build offline"
      fi
      cat "${log}" >&2
      die "deno compile failed for ${target}"
    fi
    if [[ "${target}" == "${host}" ]]; then
      smoke_test "${output}" "${version}"
    fi
    echo "built ${output}"
  done
  write_checksums "${dist}"
  echo "dockgate ${version} on Deno ${DENO_VERSION}, embedded permissions:"
  printf '  %s\n' "${flags[@]}"
}

main "$@"
