#!/usr/bin/env bash
# VNN-COMP tool interface: run_instance.sh v1 <category> <onnx> <vnnlib> <result_file> <timeout>
# Runs verify on the instance; the result file (sat + assignment / unsat / timeout / unknown / error)
# is written before <timeout> seconds have passed. Extra verify flags: per category below, and the
# VERIFY_FLAGS environment variable (split on spaces).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
check_version "${1:-}"
if [ "$#" -ne 6 ]; then
  echo "usage: $0 v1 <category> <onnx> <vnnlib> <result_file> <timeout>" >&2
  exit 1
fi
CATEGORY="$2"
ONNX="$3"
VNNLIB="$4"
RESULT_FILE="$5"
TIMEOUT="$6"
echo "Running $TOOL_NAME on category '$CATEGORY', onnx '$ONNX', vnnlib '$VNNLIB', results '$RESULT_FILE', timeout $TIMEOUT s"

FLAGS=()
case "$CATEGORY" in
  # The defaults choose input splitting for low-dimensional inputs (acasxu) and ReLU splitting
  # otherwise; add per-category settings here.
  *) ;;
esac
if [ -n "${VERIFY_FLAGS:-}" ]; then
  # shellcheck disable=SC2206
  FLAGS+=(${VERIFY_FLAGS})
fi

# Record our pid for prepare_instance.sh: exec keeps it, so it is verify's pid.
mkdir -p "$STATE_DIR"
echo "$$" >"$STATE_DIR/run-$$.pid"
exec node "$TOOL_DIR/bin/verify.js" --onnx "$ONNX" --vnnlib "$VNNLIB" --results "$RESULT_FILE" --timeout "$TIMEOUT" ${FLAGS[@]+"${FLAGS[@]}"}
