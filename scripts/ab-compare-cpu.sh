#!/bin/bash
# scripts/ab-compare.sh with CPU time: interleaved base/new runs of each instance, one line per instance:
#   base <verdict> <wall s> <cpu s> new <verdict> <wall s> <cpu s>  <onnx> <vnnlib>
# cpu = user + sys of the verify process and its threads (GNU time). On a machine shared with other work the
# CPU time moves less with the load than the wall time does.
# Usage: BASE=/path/to/old/checkout NEW=/path/to/new/checkout scripts/ab-compare-cpu.sh <benchmark-dir> <instances.csv> <timeout>
set -u
root=$1; list=$2; timeout=$3
tmp=$(mktemp)
while IFS=, read -r onnx vnnlib _t; do
  for which in base new; do
    dir=$BASE; [ $which = new ] && dir=$NEW
    v=$(cd "$dir" && /usr/bin/time -f "%e %U %S" -o "$tmp" node bin/verify.js --onnx "$root/$onnx" --vnnlib "$root/$vnnlib" --timeout "$timeout" 2>/dev/null | head -1)
    read -r wall user sys < "$tmp"
    printf "%s %s %.2f %.2f " "$which" "$v" "$wall" "$(echo "$user + $sys" | bc)"
  done
  echo " $onnx $vnnlib"
done < "$list"
rm -f "$tmp"
