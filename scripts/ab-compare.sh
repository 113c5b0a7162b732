#!/bin/bash
# Before/after timing on the same instances, interleaved (base, new, base, new, ...) so that machine load drifts
# hit both alike: two built checkouts, or two flag sets (or environments) of one. One line per instance:
#   base <verdict> <wall s> new <verdict> <wall s>  <onnx> <vnnlib>
# With CPU=1 each run also reports its CPU time (user + sys of the verify process and its threads, GNU time):
#   base <verdict> <wall s> <cpu s> new <verdict> <wall s> <cpu s>  <onnx> <vnnlib>
# On a machine shared with other work the CPU time moves less with the load than the wall time does.
# With STATS=1 each run also reports where its branch and bound stopped (the last 'branch and bound' log line):
# bounded domains, global lower bound and open mass (the share of the input region still open, 2^-depth per
# domain): the measure to compare when both sides time out.
# Usage: BASE=/path/to/old/checkout NEW=/path/to/new/checkout [CPU=1] [STATS=1] scripts/ab-compare.sh <benchmark-dir> <instances.csv> <timeout>
#        BASE=. BASE_FLAGS="--relu-branching babsr" NEW_FLAGS="--relu-branching fsb" scripts/ab-compare.sh ...
#        BASE=. NEW_ENV="SOME_VAR=1" scripts/ab-compare.sh ...   (environment assignments for one side)
# (NEW defaults to BASE; each checkout built: npm ci && npx tsc -p tsconfig.json; a git worktree per commit is the
# easy way).
set -u
root=$1; list=$2; timeout=$3
NEW=${NEW:-$BASE}
tmp=$(mktemp)
log=$(mktemp)
while IFS=, read -r onnx vnnlib _t; do
  for which in base new; do
    dir=$BASE; flags=${BASE_FLAGS:-}; envs=${BASE_ENV:-}
    [ $which = new ] && { dir=$NEW; flags=${NEW_FLAGS:-}; envs=${NEW_ENV:-}; }
    [ "${STATS:-}" = 1 ] && flags="$flags --log-level info"
    # shellcheck disable=SC2086
    v=$(cd "$dir" && env $envs /usr/bin/time -f "%e %U %S" -o "$tmp" node bin/verify.js --onnx "$root/$onnx" --vnnlib "$root/$vnnlib" --timeout "$timeout" $flags 2>"$log" | head -1)
    read -r wall user sys < "$tmp"
    if [ "${CPU:-}" = 1 ]; then
      printf "%s %s %.2f %.2f " "$which" "$v" "$wall" "$(echo "$user + $sys" | bc)"
    else
      printf "%s %s %.2f " "$which" "$v" "$wall"
    fi
    if [ "${STATS:-}" = 1 ]; then
      grep '"msg":"branch and bound"' "$log" | tail -1 | node -e '
        let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => {
          try { const d = JSON.parse(s); process.stdout.write(`domains=${d.boundedDomains} lb=${d.globalLb} mass=${d.openMass} `); }
          catch { process.stdout.write("domains=- lb=- mass=- "); }
        });'
    fi
  done
  echo " $onnx $vnnlib"
done < "$list"
rm -f "$tmp" "$log"
