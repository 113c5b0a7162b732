# Shared by the VNN-COMP scripts (sourced, not run). Sets TOOL_DIR (the repository, found from this
# file's path), STATE_DIR (pid files of running instances) and check_version.
TOOL_NAME=tsverify
VERSION_STRING=v1
TOOL_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# One folder per user and installation; TSVERIFY_VNNCOMP_STATE overrides it (tests).
STATE_DIR="${TSVERIFY_VNNCOMP_STATE:-${TMPDIR:-/tmp}/tsverify-vnncomp-$(id -u)-$(printf %s "$TOOL_DIR" | cksum | cut -d' ' -f1)}"

check_version() {
  if [ "${1:-}" != "$VERSION_STRING" ]; then
    echo "$TOOL_NAME: expected version string '$VERSION_STRING' as the first argument, got '${1:-}'" >&2
    exit 1
  fi
}
