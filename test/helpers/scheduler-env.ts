/**
 * The environment for child verify processes without the scheduler variables that select a shard:
 * a test suite running inside a Slurm array task or an Indexed Job must still run whole batches.
 */
import { SHARD_ENV_VARS } from '../../src/batch/shard-env.js';

export function schedulerFreeEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const v of SHARD_ENV_VARS) delete env[v];
  return { ...env, ...extra };
}
