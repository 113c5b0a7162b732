/**
 * `verify report <results.csv...>`: single-file HTML report (summary tables, cactus plots, per-instance answers).
 */
import { Command, CommanderError } from 'commander';
import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { EXIT, UsageError } from './errors.js';
import { renderReport, type ReportInput } from '../report/html.js';
import { mergeRuns } from '../report/merge-runs.js';
import { CsvFormatError, readPeersCsv, readResultsCsv, type PeerTable, type Run } from '../report/read-results.js';

export interface ReportFlags {
  /** peers.csv files, each optionally prefixed by its benchmark: NAME=path. */
  peers?: string[];
  benchmark?: string;
  out: string;
  title: string;
  /** The files are shards of one run: combine them per benchmark. */
  merge?: boolean;
}

export const DEFAULT_REPORT_TITLE = 'Verification results';

/** The benchmark a peers.csv belongs to: NAME= prefix, else its folder's name if that is a benchmark of the runs, else the only benchmark. */
function peersBenchmark(spec: string, benchmarks: readonly string[]): { path: string; benchmark: string } {
  const named = /^([A-Za-z0-9_.-]+)=(.+)$/.exec(spec);
  if (named) return { benchmark: named[1], path: named[2] };
  const folder = basename(dirname(spec));
  if (benchmarks.includes(folder)) return { benchmark: folder, path: spec };
  if (benchmarks.length === 1) return { benchmark: benchmarks[0], path: spec };
  throw new UsageError(
    `cannot tell which benchmark ${spec} belongs to (results have ${benchmarks.join(', ')}); write --peers NAME=${spec}`,
  );
}

/** Reads the results and peers files into the report's input. Bad files throw UsageError or fs errors. */
export function loadReportInput(files: readonly string[], flags: Omit<ReportFlags, 'out'>, warn = (line: string) => void process.stderr.write(`${line}\n`)): ReportInput {
  try {
    if (files.length === 0) throw new UsageError('no results file given');
    let runs: Run[] = [];
    for (const f of files) {
      for (const run of readResultsCsv(f, { benchmark: flags.benchmark })) {
        const same = runs.filter((r) => r.benchmark === run.benchmark && r.label.replace(/ \(\d+\)$/, '') === run.label).length;
        runs.push(same > 0 ? { ...run, label: `${run.label} (${same + 1})` } : run);
      }
    }
    if (flags.merge) {
      const merged = mergeRuns(runs);
      for (const note of merged.notes) warn(`verify report --merge: ${note}`);
      runs = merged.runs;
    }
    const benchmarks = [...new Set(runs.map((r) => r.benchmark))];
    const peers: PeerTable[] = [];
    for (const spec of flags.peers ?? []) {
      const { path, benchmark } = peersBenchmark(spec, benchmarks);
      if (!benchmarks.includes(benchmark)) throw new UsageError(`--peers ${spec}: no results of benchmark '${benchmark}' (results have ${benchmarks.join(', ')})`);
      if (peers.some((p) => p.benchmark === benchmark)) throw new UsageError(`--peers: two peers files for benchmark '${benchmark}'`);
      peers.push(readPeersCsv(path, benchmark));
    }
    return { title: flags.title, runs, peers };
  } catch (e) {
    if (e instanceof CsvFormatError) throw new UsageError(e.message);
    throw e;
  }
}

/** Loads, renders and writes the report; returns what it wrote. */
export function runReport(files: readonly string[], flags: ReportFlags, now = new Date()): { out: string; input: ReportInput; html: string } {
  const input = loadReportInput(files, flags);
  const html = renderReport({ ...input, generatedAt: now.toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC') });
  mkdirSync(dirname(flags.out), { recursive: true });
  writeFileSync(flags.out, html);
  return { out: flags.out, input, html };
}

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/**
 * The `report` subcommand. Failures are thrown for the caller's error handling (main.ts): bad input is a
 * UsageError or an fs error (exit code 2 there), commander usage errors a CommanderError with exit code 2.
 */
export function reportCommand(): Command {
  return new Command('report')
    .description('Write a single-file HTML report (summary, cactus plots, per-instance answers) of results CSVs of verify batch or run-benchmark')
    .argument('<results...>', 'results CSV files (verify batch or legacy run-benchmark format)')
    .option('--peers <file>', 'peers.csv of a benchmark (VNN-COMP tools); repeatable; NAME=file names its benchmark', collect)
    .option('--benchmark <name>', 'benchmark of rows without a benchmark column (default: file name before the first "-")')
    .option('--out <file>', 'HTML file to write', 'report.html')
    .option('--title <text>', 'title of the report', DEFAULT_REPORT_TITLE)
    .option('--merge', 'the files are shards of one run (verify batch --shard): one run per benchmark, duplicates kept once, conflicting answers as errors')
    .exitOverride((err) => {
      if (err.exitCode === 0) throw err;
      throw new CommanderError(EXIT.inputError, err.code, err.message);
    })
    .action((files: string[], flags: ReportFlags) => {
      const { out, input } = runReport(files, flags);
      const benchmarks = new Set(input.runs.map((r) => r.benchmark));
      const instances = input.runs.reduce((n, r) => n + r.rows.length, 0);
      process.stdout.write(
        `wrote ${out}: ${benchmarks.size} benchmark(s), ${input.runs.length} run(s), ${instances} instance result(s), ${input.peers?.length ?? 0} peers file(s)\n`,
      );
    });
}
