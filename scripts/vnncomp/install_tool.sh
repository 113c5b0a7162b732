#!/usr/bin/env bash
# VNN-COMP tool interface: install_tool.sh v1
# Installs the dependencies (npm ci) and builds (tsc) in the repository that holds this script.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
check_version "${1:-}"
if [ "$#" -ne 1 ]; then
  echo "usage: $0 v1" >&2
  exit 1
fi
command -v node >/dev/null || { echo "$TOOL_NAME: node (>= 20) is required" >&2; exit 1; }
major="$(node -p 'process.versions.node.split(".")[0]')"
if [ "$major" -lt 20 ]; then
  echo "$TOOL_NAME: node >= 20 is required, found $(node --version)" >&2
  exit 1
fi
cd "$TOOL_DIR"
echo "Installing $TOOL_NAME in $TOOL_DIR"
npm ci --no-audit --no-fund
npm run build
node bin/verify.js --version
