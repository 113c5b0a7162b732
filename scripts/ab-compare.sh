#!/bin/bash
# Before/after timing on the same instances, interleaved (base, new, base, new, ...) so that machine load drifts
# hit both alike: two built checkouts, or two flag sets of one. One line per instance:
#   base <verdict> <wall s> new <verdict> <wall s>  <onnx> <vnnlib>
# With CPU=1 each run also reports its CPU time (user + sys of the verify process and its threads, GNU time):
#   base <verdict> <wall s> <cpu s> new <verdict> <wall s> <cpu s>  <onnx> <vnnlib>
# On a machine shared with other work the CPU time moves less with the load than the wall time does.
# Usage: BASE=/path/to/old/checkout NEW=/path/to/new/checkout [CPU=1] scripts/ab-compare.sh <benchmark-dir> <instances.csv> <timeout>
#        BASE=. BASE_FLAGS="--relu-branching babsr" NEW_FLAGS="--relu-branching fsb" scripts/ab-compare.sh ...
# (NEW defaults to BASE; each checkout built: npm ci && npx tsc -p tsconfig.json; a git worktree per commit is the
# easy way).
set -u
root=$1; list=$2; timeout=$3
NEW=${NEW:-$BASE}
tmp=$(mktemp)
while IFS=, read -r onnx vnnlib _t; do
  for which in base new; do
    dir=$BASE; flags=${BASE_FLAGS:-}
    [ $which = new ] && { dir=$NEW; flags=${NEW_FLAGS:-}; }
    # shellcheck disable=SC2086
    v=$(cd "$dir" && /usr/bin/time -f "%e %U %S" -o "$tmp" node bin/verify.js --onnx "$root/$onnx" --vnnlib "$root/$vnnlib" --timeout "$timeout" $flags 2>/dev/null | head -1)
    read -r wall user sys < "$tmp"
    if [ "${CPU:-}" = 1 ]; then
      printf "%s %s %.2f %.2f " "$which" "$v" "$wall" "$(echo "$user + $sys" | bc)"
    else
      printf "%s %s %.2f " "$which" "$v" "$wall"
    fi
  done
  echo " $onnx $vnnlib"
done < "$list"
rm -f "$tmp"
