/**
 * Which shard this process runs: the `--shard K/N` flag, else the scheduler's environment.
 *
 * Precedence (first match wins):
 *   1. --no-shard                 run everything, whatever the environment says
 *   2. --shard K/N                the flag
 *   3. VERIFY_SHARD=K/N           our own variable, for any scheduler or CI matrix
 *   4. SLURM_ARRAY_TASK_ID        Slurm job arrays; N = SLURM_ARRAY_TASK_COUNT, and the task id is
 *                                 normalised with SLURM_ARRAY_TASK_MIN and SLURM_ARRAY_TASK_STEP
 *                                 (arrays may start at 0 or 1, or step: --array=1-7:2)
 *   5. JOB_COMPLETION_INDEX       Kubernetes Indexed Jobs (0-based); N from --shard-count or
 *                                 VERIFY_SHARD_COUNT (the pod cannot see the Job's completions)
 * A count from --shard-count / VERIFY_SHARD_COUNT must agree with any count the environment gives,
 * so that a mis-sized array fails loudly instead of silently skipping or repeating instances.
 */
import { UsageError } from '../cli/errors.js';
import { parseShard, type Shard } from './shard.js';

export interface ResolvedShard extends Shard {
  /** Where K and N came from, for the summary: `--shard`, `SLURM_ARRAY_TASK_ID=3 ...`. */
  readonly source: string;
}

export interface ShardRequest {
  /** The --shard value: a K/N string, false for --no-shard, undefined when neither was given. */
  readonly flag?: string | false;
  /** --shard-count. */
  readonly count?: number;
}

/** Variables read by resolveShard, listed in the docs and scrubbed by the tests. */
export const SHARD_ENV_VARS = [
  'VERIFY_SHARD',
  'VERIFY_SHARD_COUNT',
  'SLURM_ARRAY_TASK_ID',
  'SLURM_ARRAY_TASK_COUNT',
  'SLURM_ARRAY_TASK_MIN',
  'SLURM_ARRAY_TASK_MAX',
  'SLURM_ARRAY_TASK_STEP',
  'JOB_COMPLETION_INDEX',
] as const;

function envInt(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const v = env[name];
  if (v === undefined || v.trim() === '') return undefined;
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 0) throw new UsageError(`${name}='${v}' is not a non-negative integer`);
  return n;
}

function checkedCount(given: number | undefined, givenBy: string, count: number, countBy: string): void {
  if (given !== undefined && given !== count) throw new UsageError(`${givenBy} says ${given} shards but ${countBy} says ${count}`);
}

function fromSlurm(env: NodeJS.ProcessEnv, given: number | undefined, givenBy: string): ResolvedShard {
  const id = envInt(env, 'SLURM_ARRAY_TASK_ID')!;
  const count = envInt(env, 'SLURM_ARRAY_TASK_COUNT') ?? given;
  const min = envInt(env, 'SLURM_ARRAY_TASK_MIN');
  const max = envInt(env, 'SLURM_ARRAY_TASK_MAX');
  const step = envInt(env, 'SLURM_ARRAY_TASK_STEP') ?? 1;
  const fix = 'give --shard K/N (or --no-shard to run every instance)';
  if (count === undefined || min === undefined) throw new UsageError(`SLURM_ARRAY_TASK_ID is set but SLURM_ARRAY_TASK_COUNT or SLURM_ARRAY_TASK_MIN is not: ${fix}`);
  if (env.SLURM_ARRAY_TASK_COUNT !== undefined) checkedCount(given, givenBy, count, 'SLURM_ARRAY_TASK_COUNT');
  // Only an evenly spaced range (--array=0-9, 1-10, 1-19:2) maps task ids onto 1..N.
  if (step < 1 || (max !== undefined && max - min !== (count - 1) * step) || (id - min) % step !== 0 || id < min || (id - min) / step >= count) {
    throw new UsageError(
      `Slurm array task ${id} (min ${min}, max ${max ?? '?'}, step ${step}, count ${count}) is not in an evenly spaced --array range: ${fix}`,
    );
  }
  const index = (id - min) / step + 1;
  return { index, count, source: `SLURM_ARRAY_TASK_ID=${id} (SLURM_ARRAY_TASK_MIN=${min}, SLURM_ARRAY_TASK_COUNT=${count}${step !== 1 ? `, step ${step}` : ''})` };
}

function fromKubernetes(env: NodeJS.ProcessEnv, given: number | undefined, givenBy: string): ResolvedShard {
  const i = envInt(env, 'JOB_COMPLETION_INDEX')!;
  if (given === undefined) {
    throw new UsageError(
      `JOB_COMPLETION_INDEX=${i} is set but the number of shards is not: give --shard-count N or set VERIFY_SHARD_COUNT to the Job's completions (or --no-shard to run every instance)`,
    );
  }
  if (i >= given) throw new UsageError(`JOB_COMPLETION_INDEX=${i} is not below the shard count ${given} (${givenBy})`);
  return { index: i + 1, count: given, source: `JOB_COMPLETION_INDEX=${i} (${given} shards from ${givenBy})` };
}

/** The shard to run, or undefined for the whole list. Throws UsageError on contradictory settings. */
export function resolveShard(req: ShardRequest, env: NodeJS.ProcessEnv = process.env): ResolvedShard | undefined {
  if (req.flag === false) {
    if (req.count !== undefined) throw new UsageError('--shard-count and --no-shard contradict each other');
    return undefined;
  }
  if (req.count !== undefined && !(Number.isSafeInteger(req.count) && req.count >= 1)) throw new UsageError('--shard-count must be a positive integer');
  if (typeof req.flag === 'string') {
    if (req.count !== undefined) throw new UsageError('--shard K/N already gives the number of shards; drop --shard-count');
    return { ...parseShard(req.flag), source: '--shard' };
  }
  const envCount = envInt(env, 'VERIFY_SHARD_COUNT');
  if (req.count !== undefined && envCount !== undefined) checkedCount(req.count, '--shard-count', envCount, 'VERIFY_SHARD_COUNT');
  const given = req.count ?? envCount;
  const givenBy = req.count !== undefined ? '--shard-count' : 'VERIFY_SHARD_COUNT';
  if (env.VERIFY_SHARD !== undefined && env.VERIFY_SHARD.trim() !== '') {
    const s = parseShard(env.VERIFY_SHARD, 'VERIFY_SHARD');
    checkedCount(given, givenBy, s.count, 'VERIFY_SHARD');
    return { ...s, source: `VERIFY_SHARD=${env.VERIFY_SHARD.trim()}` };
  }
  if (envInt(env, 'SLURM_ARRAY_TASK_ID') !== undefined) return fromSlurm(env, given, givenBy);
  if (envInt(env, 'JOB_COMPLETION_INDEX') !== undefined) return fromKubernetes(env, given, givenBy);
  if (req.count !== undefined) {
    throw new UsageError('--shard-count is given but no shard index is: expected JOB_COMPLETION_INDEX, SLURM_ARRAY_TASK_ID or VERIFY_SHARD in the environment, or --shard K/N');
  }
  return undefined;
}
