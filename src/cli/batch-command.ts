/**
 * `verify batch <instances.csv>`: every instance in a child process, results appended to a CSV as
 * they come (a killed run resumes from it), expected answers checked, VNN-COMP score at the end.
 */
import { basename, dirname, join, resolve } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import type { ResultRow } from '../batch/results-csv.js';
import type { ChildRun } from '../batch/runner.js';
import { EXIT, UsageError } from './errors.js';
import { parseDecimal } from '../util/decimal.js';
import { writeFileNoFollow } from '../util/output-file.js';
import { escapeControls } from '../util/user-text.js';
import { onTerminationSignal, SIGNAL_EXIT, type TerminationSignal } from './signals.js';

// The modules doing the work are imported when the command runs: main.ts registers this command
// on every start of verify, whose time limit counts from process start.

/** What a subcommand may tell main(): its exit code. */
export interface SubcommandContext {
  setExitCode(code: number): void;
}


export function parseNumberOption(v: string): number {
  const n = parseDecimal(v);
  if (n === undefined) throw new InvalidArgumentError('Not a decimal number.');
  return n;
}

export function positiveNumberOption(v: string): number {
  const n = parseNumberOption(v);
  if (!(n > 0)) throw new InvalidArgumentError('Not a positive number.');
  return n;
}

export function positiveIntegerOption(v: string): number {
  const n = parseNumberOption(v);
  if (!(Number.isSafeInteger(n) && n >= 1)) throw new InvalidArgumentError('Not a positive integer.');
  return n;
}

/** Help of the sharding flags, shared by batch and gate. */
export const SHARD_OPTION_HELP = {
  shard: 'run only the K-th of N balanced slices (1-based); default: from the scheduler (VERIFY_SHARD, SLURM_ARRAY_TASK_ID, JOB_COMPLETION_INDEX)',
  noShard: 'run everything, even when the scheduler environment names a shard',
  shardCount: 'number of shards when the environment gives only an index (JOB_COMPLETION_INDEX); or VERIFY_SHARD_COUNT',
} as const;

/** Aborts on SIGINT/SIGTERM/SIGHUP while `body` runs, so that the running child is killed too. */
export async function withInterrupt<T>(body: (signal: AbortSignal) => Promise<T>): Promise<{ value: T; interrupted?: TerminationSignal }> {
  const ac = new AbortController();
  let interrupted: TerminationSignal | undefined;
  const off = onTerminationSignal((sig) => {
    interrupted ??= sig;
    ac.abort();
  });
  try {
    const value = await body(ac.signal);
    return { value, interrupted };
  } finally {
    off();
  }
}

export function instanceLine(index: number, total: number, row: Pick<ResultRow, 'onnx' | 'vnnlib' | 'result' | 'expected' | 'seconds' | 'status'>, run?: ChildRun): string {
  const exp = row.expected ? ` (expected ${row.expected})` : '';
  const why = run?.message && (row.result === 'error' || row.result === 'unknown' || run.killed) ? ` -- ${run.message}` : '';
  const status = row.status === 'wrong' ? 'WRONG' : row.status;
  // Paths and the child's last stderr line are user text: escaped, cut (src/util/user-text.ts).
  return escapeControls(`[${index}/${total}] ${row.onnx} ${row.vnnlib}: ${row.result}${exp} ${row.seconds.toFixed(2)} s ${status}${why.length > 300 ? `${why.slice(0, 300)}...` : why}`);
}

interface BatchFlags {
  root?: string;
  out?: string;
  expected?: string;
  benchmark?: string;
  timeoutScale: number;
  timeout?: number;
  fresh?: boolean;
  summaryJson?: string;
  progress: boolean;
  /** --shard K/N, or false for --no-shard. */
  shard?: string | false;
  shardCount?: number;
  merge?: string[];
}

export function registerBatchCommand(program: Command, ctx: SubcommandContext): Command {
  return program
    .command('batch')
    .summary('run every instance of a VNN-COMP instances.csv (resumable results CSV, score)')
    .description(
      'Run every instance of a VNN-COMP instances.csv, each in its own verify process with its timeout. ' +
        'Results are appended to the --out CSV as each instance ends; running the same command again after an ' +
        'interruption skips the instances already there. With --shard (or a scheduler array index) only one balanced slice runs; ' +
        '--merge combines the results CSVs of the shards. Exit code 0, or 1 if some answer contradicts the expected one.',
    )
    .argument('[instances.csv]', 'rows onnx,vnnlib,timeout (VNN-COMP format, no header); with --merge: the list the merged results are checked against')
    .argument('[verify-flags...]', 'after --: extra flags for every verify run, e.g. -- --mode incomplete')
    .option('--root <dir>', 'folder the instance paths are relative to (default: the folder of instances.csv)')
    .option('--out <file>', 'results CSV: benchmark,onnx,vnnlib,timeout,result,expected,seconds,status (default: <benchmark>-results.csv; for a shard <benchmark>-results-shard-K-of-N.csv)')
    .option('--expected <file>', 'expected answers, CSV with header onnx,vnnlib,expected (default: expected.csv beside instances.csv, else in --root, if any)')
    .option('--benchmark <name>', 'value of the benchmark column (default: the name of the folder of instances.csv)')
    .option('--timeout-scale <x>', 'multiply every instance timeout by x', positiveNumberOption, 1)
    .option('--timeout <seconds>', 'one limit for every instance instead of the CSV timeouts', positiveNumberOption)
    .option('--fresh', 'start the results CSV afresh instead of resuming from it')
    .option('--summary-json <file>', 'also write the summary as JSON')
    .option('--no-progress', 'plain lines even on a terminal (no progress bar)')
    .option('--shard <K/N>', SHARD_OPTION_HELP.shard)
    .option('--no-shard', SHARD_OPTION_HELP.noShard)
    .option('--shard-count <N>', SHARD_OPTION_HELP.shardCount, positiveIntegerOption)
    .option('--merge <results.csv...>', 'combine the results CSVs of the shards into --out (duplicates dropped, conflicting answers become errors) instead of running')
    .action(async (instancesCsv: string | undefined, verifyFlags: string[], flags: BatchFlags) => {
      if (flags.merge) {
        const { runBatchMerge } = await import('./batch-merge-command.js');
        ctx.setExitCode(runBatchMerge(flags.merge, instancesCsv, verifyFlags, flags));
        return;
      }
      if (instancesCsv === undefined) throw new UsageError("missing argument 'instances.csv'");
      const { defaultExpectedPath, readExpectedCsv, readInstancesCsv } = await import('../batch/instances.js');
      const { resolveShard } = await import('../batch/shard-env.js');
      const { formatShard, instanceKeying, selectShard } = await import('../batch/shard.js');
      const { makeReporter } = await import('../batch/progress.js');
      const { runBatch } = await import('../batch/runner.js');
      const { formatSummary, summarize } = await import('../batch/score.js');
      const listed = readInstancesCsv(instancesCsv);
      const shard = resolveShard({ flag: flags.shard, count: flags.shardCount });
      const instances = shard ? selectShard(listed, shard, instanceKeying(flags.timeout)) : listed;
      const shardText = shard ? `shard ${formatShard(shard)} (${shard.source}): ${instances.length} of ${listed.length} instances` : undefined;
      const csvDir = dirname(resolve(instancesCsv));
      const root = resolve(flags.root ?? csvDir);
      const benchmark = flags.benchmark ?? basename(csvDir);
      const out = flags.out ?? (shard ? `${benchmark}-results-shard-${shard.index}-of-${shard.count}.csv` : `${benchmark}-results.csv`);
      const expectedPath = flags.expected ?? defaultExpectedPath(instancesCsv) ?? defaultExpectedPath(join(root, 'instances.csv'));
      const expected = expectedPath ? readExpectedCsv(expectedPath) : new Map();
      const reporter = makeReporter({ tty: flags.progress ? undefined : false });
      const tally = { correct: 0, wrong: 0, unchecked: 0, unsolved: 0, error: 0 };
      const tallyText = () => Object.entries(tally).map(([k, v]) => `${k} ${v}`).join(' ');
      const { value: outcome, interrupted } = await withInterrupt((signal) =>
        runBatch({
          instances,
          root,
          out,
          benchmark,
          expected,
          timeoutScale: flags.timeoutScale,
          timeout: flags.timeout,
          extraArgs: verifyFlags,
          fresh: flags.fresh,
          signal,
          onStart: ({ total, alreadyDone, dropped }) => {
            if (shardText) reporter.note(shardText);
            if (alreadyDone > 0) reporter.note(`resuming ${out}: ${alreadyDone} of ${total} instances already done`);
            if (dropped > 0) reporter.note(`${out}: removed ${dropped} incomplete line(s) left by an interrupted run`);
            reporter.start(total, alreadyDone);
          },
          onRun: (inst) => reporter.running(escapeControls(`${basename(inst.onnx)} ${basename(inst.vnnlib)}`)),
          onResult: (row, run, { index, total }) => {
            tally[row.status]++;
            reporter.finished(instanceLine(index, total, row, run), index, tallyText());
          },
        }),
      ).finally(() => reporter.stop());
      const summary = summarize(outcome.rows);
      if (interrupted || outcome.aborted) {
        process.stderr.write(
          `verify batch: interrupted; ${outcome.rows.length} of ${instances.length} instances are in ${out}; run the same command again to resume\n`,
        );
        ctx.setExitCode(SIGNAL_EXIT[interrupted ?? 'SIGINT']);
        return;
      }
      process.stdout.write(`\nsummary (${benchmark}, ${out}${shardText ? `, ${shardText}` : ''}):\n${formatSummary(summary).replace(/^/gm, '  ')}\n`);
      if (flags.summaryJson) {
        const shardJson = shard ? { index: shard.index, count: shard.count, source: shard.source, instances: instances.length, of: listed.length } : null;
        const json = { benchmark, instances: resolve(instancesCsv), results: resolve(out), shard: shardJson, ran: outcome.ran, resumed: outcome.skipped, ...summary };
        writeFileNoFollow(flags.summaryJson, `${JSON.stringify(json, null, 2)}\n`);
      }
      ctx.setExitCode(summary.wrong > 0 ? 1 : EXIT.ok);
    });
}
