#!/bin/bash
# Before/after timing on the same instances, interleaved (base, new, base, new, ...) so that machine load drifts
# hit both alike: two built checkouts, or two flag sets of one. One line per instance:
#   base <verdict> <seconds> new <verdict> <seconds>  <onnx> <vnnlib>
# Usage: BASE=/path/to/old/checkout NEW=/path/to/new/checkout scripts/ab-compare.sh <benchmark-dir> <instances.csv> <timeout>
#        BASE=. BASE_FLAGS="--relu-branching babsr" NEW_FLAGS="--relu-branching fsb" scripts/ab-compare.sh ...
# (NEW defaults to BASE; each checkout built: npm ci && npx tsc -p tsconfig.json; a git worktree per commit is the
# easy way).
set -u
root=$1; list=$2; timeout=$3
NEW=${NEW:-$BASE}
while IFS=, read -r onnx vnnlib _t; do
  for which in base new; do
    dir=$BASE; flags=${BASE_FLAGS:-}
    [ $which = new ] && { dir=$NEW; flags=${NEW_FLAGS:-}; }
    s=$(date +%s.%N)
    # shellcheck disable=SC2086
    v=$(cd "$dir" && node bin/verify.js --onnx "$root/$onnx" --vnnlib "$root/$vnnlib" --timeout "$timeout" $flags 2>/dev/null | head -1)
    e=$(date +%s.%N)
    printf "%s %s %.2f " "$which" "$v" "$(echo "$e - $s" | bc)"
  done
  echo " $onnx $vnnlib"
done < "$list"
