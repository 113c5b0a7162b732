#!/bin/bash
# Example Slurm job array: a VNN-COMP benchmark in shards, one array task per shard, then a merge.
# Slurm does the scheduling; each task runs `verify batch`, which takes its shard K/N from
# SLURM_ARRAY_TASK_ID, SLURM_ARRAY_TASK_MIN and SLURM_ARRAY_TASK_COUNT (--array=0-7 and 1-8 both work).
#
# Submit 8 shards, and a merge that runs once they have all ended (afterany: also after a failed
# task, so that the merge can say what is missing):
#   jid=$(sbatch --parsable --array=1-8 docs/slurm-batch.sh)
#   sbatch --dependency=afterany:$jid docs/slurm-batch.sh merge
# A task that Slurm requeues (preemption, node failure) keeps its index and resumes from its CSV.
# To rerun one shard by hand, name it: a lone `sbatch --array=3` would be shard 1 of 1, everything.
#   SHARD=3/8 sbatch docs/slurm-batch.sh
#
# REPO: this repository on the shared file system, after `npm ci` (node >= 20 on the compute nodes).
# BENCH: the benchmark folder (instances.csv, onnx/, vnnlib/). RESULTS: where the CSVs go.
#SBATCH --job-name=tsverify
#SBATCH --cpus-per-task=2
#SBATCH --mem=8G
#SBATCH --time=12:00:00
#SBATCH --output=tsverify-%A_%a.out
#SBATCH --requeue
set -euo pipefail

REPO=${REPO:-$HOME/tsverify}
BENCH=${BENCH:-$HOME/vnncomp2022_benchmarks/benchmarks/acasxu}
RESULTS=${RESULTS:-$HOME/tsverify-results/$(basename "$BENCH")}
mkdir -p "$RESULTS"
cd "$RESULTS"

if [ "${1:-}" = merge ]; then
  # Exit code 1 when an answer is wrong, two shards contradict each other, or instances are missing.
  node "$REPO/bin/verify.js" batch "$BENCH/instances.csv" --merge ./*-results-shard-*.csv \
    --out all.csv --summary-json summary.json
  exit
fi

# Each shard writes <benchmark>-results-shard-K-of-N.csv here (named by K, whatever the array's base).
node "$REPO/bin/verify.js" batch "$BENCH/instances.csv" ${SHARD:+--shard "$SHARD"} --no-progress
