#!/usr/bin/env bash
# VNN-COMP tool interface: prepare_instance.sh v1 <category> <onnx> <vnnlib>
# Ends verify processes this installation's run_instance.sh left running, then checks that the
# instance's files exist and that the network loads and the property parses and fits it.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
check_version "${1:-}"
if [ "$#" -ne 4 ]; then
  echo "usage: $0 v1 <category> <onnx> <vnnlib>" >&2
  exit 1
fi
CATEGORY="$2"
ONNX="$3"
VNNLIB="$4"
echo "Preparing $TOOL_NAME for category '$CATEGORY', onnx '$ONNX', vnnlib '$VNNLIB'"

# Leftovers: run_instance.sh records its pid (it then execs verify under the same pid). Only a
# process whose command line is this installation's bin/verify.js is killed.
if [ -d "$STATE_DIR" ]; then
  for pidfile in "$STATE_DIR"/run-*.pid; do
    [ -e "$pidfile" ] || continue
    pid="$(cat "$pidfile" 2>/dev/null || true)"
    if [[ "$pid" =~ ^[0-9]+$ ]] && [ -r "/proc/$pid/cmdline" ] &&
      tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF "$TOOL_DIR/bin/verify.js"; then
      echo "killing leftover verify process $pid"
      kill -TERM "$pid" 2>/dev/null || true
      for _ in 1 2 3 4 5 6 7 8 9 10; do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.2
      done
      kill -KILL "$pid" 2>/dev/null || true
    fi
    rm -f "$pidfile"
  done
fi

for f in "$ONNX" "$VNNLIB"; do
  if [ ! -f "$f" ]; then
    echo "$TOOL_NAME: $f does not exist" >&2
    exit 1
  fi
done
node "$TOOL_DIR/dist/scripts/vnncomp/check-instance.js" "$ONNX" "$VNNLIB"
