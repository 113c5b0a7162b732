#!/bin/bash
# Two flag sets of one built checkout on the same instances, interleaved (base, new, base, new, ...) so that
# machine load drifts hit both alike. One line per instance:
#   base <verdict> <seconds> new <verdict> <seconds>  <onnx> <vnnlib>
# Usage: BASE_FLAGS="--relu-branching babsr" NEW_FLAGS="--relu-branching fsb" scripts/ab-flags.sh <benchmark-dir> <instances.csv> <timeout>
# (run from the checkout's root, built: npm ci && npx tsc -p tsconfig.json).
set -u
root=$1; list=$2; timeout=$3
while IFS=, read -r onnx vnnlib _t; do
  for which in base new; do
    flags=$BASE_FLAGS; [ $which = new ] && flags=$NEW_FLAGS
    s=$(date +%s.%N)
    # shellcheck disable=SC2086
    v=$(node bin/verify.js --onnx "$root/$onnx" --vnnlib "$root/$vnnlib" --timeout "$timeout" $flags 2>/dev/null | head -1)
    e=$(date +%s.%N)
    printf "%s %s %.2f " "$which" "$v" "$(echo "$e - $s" | bc)"
  done
  echo " $onnx $vnnlib"
done < "$list"
