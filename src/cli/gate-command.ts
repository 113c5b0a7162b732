/**
 * `verify gate`: a CI robustness gate. Exit 0 when the fraction of properties verified robust
 * (unsat) reaches --threshold, 1 when it does not, 2 on bad input.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import type { GateProperty } from '../gate/gate.js';
import type { GateSet } from '../gate/gate-shard.js';
import { parseNumberOption, positiveIntegerOption, positiveNumberOption, SHARD_OPTION_HELP, withInterrupt, type SubcommandContext } from './batch-command.js';
import { SIGNAL_EXIT } from './signals.js';
import { EXIT, UsageError } from './errors.js';
import { writeFileNoFollow } from '../util/output-file.js';
import { echo, escapeControls } from '../util/user-text.js';

/** Gate failed: too few properties verified. */
export const GATE_FAILED = 1;

interface GateFlags {
  properties?: string;
  onnx?: string;
  samples?: string;
  eps?: number;
  norm: string;
  clipMin?: number;
  clipMax?: number;
  threshold: number;
  timeout: number;
  json?: string;
  workDir?: string;
  progress: boolean;
  /** --shard K/N, or false for --no-shard. */
  shard?: string | false;
  shardCount?: number;
  merge?: string[];
}

const GATE_HELP = `
Properties, one of:
  --properties list.csv     rows onnx,vnnlib[,timeout] (paths relative to the CSV's folder; header optional);
                            each property describes an unsafe set, so unsat = verified
  --onnx model.onnx --samples samples.csv --eps E [--clip-min A --clip-max B]
                            one local-robustness property per sample: inputs in [x-E, x+E] clipped to
                            [A, B]; violated if some output Y_j (j != label) is >= Y_label.
                            samples.csv rows: the input values (flattened, X_0 first) followed by the
                            label (index of the correct output); a header row is optional.
                            With --norm l1 the inputs are the ℓ1 ball ‖x' - x‖_1 <= E (clipped to
                            [A, B]), bounded in this process by Simplex Verify: robust (unsat) when
                            proved, sat only when the sample itself is misclassified, else unknown.

Exit codes: 0 gate passed, 1 gate failed (verified fraction below --threshold), 2 bad input.

Example:
  verify gate --onnx model.onnx --samples samples.csv --eps 0.01 --clip-min 0 --clip-max 1 \\
              --threshold 0.9 --timeout 30 --json gate.json`;

async function networkDims(onnx: string): Promise<{ inputDim: number; outputDim: number }> {
  const { readOnnx } = await import('../onnx/load.js');
  const { lowerToLayered } = await import('../network/lower.js');
  const net = lowerToLayered(readOnnx(onnx));
  return { inputDim: net.inputDim, outputDim: net.outputDim };
}

async function loadNetwork(onnx: string) {
  const { readOnnx } = await import('../onnx/load.js');
  const { lowerToLayered } = await import('../network/lower.js');
  return lowerToLayered(readOnnx(onnx));
}

async function propertiesFromList(list: string, defaultTimeout: number): Promise<GateProperty[]> {
  const { instanceKey, readInstancesCsv, resolveInstancePath } = await import('../batch/instances.js');
  const root = dirname(resolve(list));
  return readInstancesCsv(list, { defaultTimeout }).map((inst, k) => {
    const p = { name: `${inst.onnx} ${inst.vnnlib}`, key: instanceKey(inst.onnx, inst.vnnlib), onnx: resolveInstancePath(root, inst.onnx), vnnlib: resolveInstancePath(root, inst.vnnlib), timeout: inst.timeout };
    for (const f of [p.onnx, p.vnnlib]) if (!existsSync(f)) throw new UsageError(`${list}: row ${k + 1}: ${f} does not exist`);
    return p;
  });
}

export function registerGateCommand(program: Command, ctx: SubcommandContext): Command {
  return program
    .command('gate')
    .summary('CI robustness gate: pass when enough properties are verified')
    .description(
      'CI robustness gate: verify a set of properties and pass when at least --threshold of them are verified ' +
        '(unsat); every property runs in its own verify process, like verify batch.',
    )
    .argument('[verify-flags...]', 'after --: extra flags for every verify run, e.g. -- --mode incomplete')
    .option('--properties <list.csv>', 'rows onnx,vnnlib[,timeout]')
    .option('--onnx <file>', 'the network, with --samples and --eps')
    .option('--samples <csv>', 'rows: input values then the label (header optional)')
    .option('--eps <e>', 'radius of the robustness properties (in the norm of --norm)', parseNumberOption)
    .option('--norm <linf|l1>', 'norm of the robustness ball: linf (a box, one verify process per sample) or l1 (Simplex Verify in this process, incomplete)', 'linf')
    .option('--clip-min <a>', 'lower clip of the input box (e.g. 0 for images)', parseNumberOption)
    .option('--clip-max <b>', 'upper clip of the input box (e.g. 1 for images)', parseNumberOption)
    .option('--threshold <t>', 'fraction of properties that must be verified robust (unsat)', parseNumberOption, 1)
    .option('--timeout <seconds>', 'limit per property (rows of --properties may give their own)', positiveNumberOption, 60)
    .option('--json <file>', 'write the summary as JSON: per property result and time, counts, verified fraction, pass/fail')
    .option('--work-dir <dir>', 'write the generated VNN-LIB properties here and keep them (default: a temporary folder, removed)')
    .option('--no-progress', 'plain lines even on a terminal (no progress bar)')
    .option('--shard <K/N>', `${SHARD_OPTION_HELP.shard}; needs --json, the gate is decided by --merge`)
    .option('--no-shard', SHARD_OPTION_HELP.noShard)
    .option('--shard-count <N>', SHARD_OPTION_HELP.shardCount, positiveIntegerOption)
    .option('--merge <gate.json...>', 'decide the gate over the union of the --json files of its shards (with --threshold, --json)')
    .addHelpText('after', GATE_HELP)
    .action(async (verifyFlags: string[], flags: GateFlags) => {
      // Imported here, not at the top: main.ts registers this command on every start of verify.
      const { makeReporter } = await import('../batch/progress.js');
      const { checkThreshold, runGate } = await import('../gate/gate.js');
      const { checkRobustnessOptions, writeRobustnessProperties } = await import('../gate/robustness-spec.js');
      const { readSamplesCsv } = await import('../gate/samples.js');
      const { resolveShard } = await import('../batch/shard-env.js');
      const { selectShard } = await import('../batch/shard.js');
      const { gateSet, propertyKeying, sampleKey, sampleKeying } = await import('../gate/gate-shard.js');
      const { finishGateShard, runGateMerge, shardNote } = await import('./gate-shard-command.js');
      checkThreshold(flags.threshold);
      const fromSamples = flags.onnx !== undefined || flags.samples !== undefined || flags.eps !== undefined;
      if (flags.merge) {
        if (flags.properties || fromSamples) throw new UsageError('--merge combines the JSON files of shards: --properties, --onnx, --samples and --eps do not apply');
        ctx.setExitCode(runGateMerge(flags.merge, flags.threshold, flags.json));
        return;
      }
      if (flags.norm !== 'linf' && flags.norm !== 'l1') throw new UsageError(`--norm must be linf or l1, got '${echo(flags.norm)}'`);
      const l1 = flags.norm === 'l1';
      if (l1 && flags.properties) throw new UsageError('--norm l1 applies to --onnx/--samples/--eps gates, not to --properties');
      if (l1 && flags.workDir) throw new UsageError('--norm l1 writes no VNN-LIB files: --work-dir does not apply');
      if (l1 && verifyFlags.length) throw new UsageError('--norm l1 runs no verify processes: extra verify flags do not apply');
      const shard = resolveShard({ flag: flags.shard, count: flags.shardCount });
      if (l1 && shard) throw new UsageError('--norm l1 gates cannot be sharded yet');
      if (shard && !flags.json) throw new UsageError('a shard of a gate needs --json FILE, for verify gate --merge');
      if (flags.properties && fromSamples) throw new UsageError('give either --properties or --onnx/--samples/--eps, not both');
      if (!flags.properties && !fromSamples) throw new UsageError('give --properties list.csv, or --onnx, --samples and --eps');
      let properties: GateProperty[];
      let tempDir: string | undefined;
      let set: GateSet;
      if (l1) {
        if (!flags.onnx || !flags.samples || flags.eps === undefined) throw new UsageError('--onnx, --samples and --eps go together');
        checkRobustnessOptions({ eps: flags.eps, clipMin: flags.clipMin, clipMax: flags.clipMax });
        properties = [];
        set = gateSet([]);
      } else if (flags.properties) {
        properties = await propertiesFromList(flags.properties, flags.timeout);
        set = gateSet(properties.map(propertyKeying().key));
        if (shard) properties = selectShard(properties, shard, propertyKeying());
      } else {
        if (!flags.onnx || !flags.samples || flags.eps === undefined) throw new UsageError('--onnx, --samples and --eps go together');
        const robustness = { eps: flags.eps, clipMin: flags.clipMin, clipMax: flags.clipMax };
        checkRobustnessOptions(robustness);
        const allSamples = readSamplesCsv(flags.samples);
        set = gateSet(allSamples.map(sampleKey));
        const samples = shard ? selectShard(allSamples, shard, sampleKeying(flags.timeout)) : allSamples;
        const dims = await networkDims(flags.onnx);
        let dir: string;
        if (flags.workDir) {
          dir = resolve(flags.workDir);
          mkdirSync(dir, { recursive: true });
        } else {
          dir = tempDir = mkdtempSync(join(tmpdir(), 'verify-gate-'));
        }
        const onnx = resolve(flags.onnx);
        try {
          properties = writeRobustnessProperties(samples, dims, robustness, dir, flags.samples, allSamples.length).map((g) => ({
            name: g.name,
            key: sampleKey(g.sample),
            onnx,
            vnnlib: g.vnnlib,
            timeout: flags.timeout,
            label: g.sample.label,
            samplesLine: g.sample.line,
          }));
        } catch (e) {
          if (tempDir) rmSync(tempDir, { recursive: true, force: true });
          throw e;
        }
      }
      const reporter = makeReporter({ tty: flags.progress ? undefined : false });
      const l1Samples = l1 ? readSamplesCsv(flags.samples!) : [];
      const l1Net = l1 ? await loadNetwork(flags.onnx!) : undefined;
      const total = l1 ? l1Samples.length : properties.length;
      let verified = 0;
      try {
        if (shard) reporter.note(shardNote(shard, total, set));
        reporter.start(total, 0);
        const { runL1Gate } = await import('../gate/l1-gate.js');
        const { value, interrupted } = await withInterrupt((signal) =>
          l1
            ? runL1Gate(l1Net!, l1Samples, {
                eps: flags.eps!,
                clipMin: flags.clipMin,
                clipMax: flags.clipMax,
                threshold: flags.threshold,
                timeout: flags.timeout,
                onnx: resolve(flags.onnx!),
                signal,
                onResult: (r, i) => {
                  if (r.verified) verified++;
                  const verdict = r.result === 'unsat' ? 'verified' : r.result === 'sat' ? 'NOT ROBUST (the sample itself)' : 'not verified';
                  reporter.finished(`[${i + 1}/${total}] ${echo(r.name, 300)}: ${r.result} ${r.seconds.toFixed(2)} s ${verdict}${r.message ? ` -- ${echo(r.message, 300)}` : ''}`, i + 1, `verified ${verified}/${i + 1}`);
                },
              })
            : runGate(properties, {
                threshold: flags.threshold,
                extraArgs: verifyFlags,
                signal,
                allowEmpty: shard !== undefined,
                onRun: (p) => reporter.running(escapeControls(p.name)),
                onResult: (r, run, i) => {
                  if (r.verified) verified++;
                  const verdict = r.result === 'unsat' ? 'verified' : r.result === 'sat' ? 'NOT ROBUST (counterexample)' : 'not verified';
                  const why = run.message && (r.result === 'error' || r.result === 'unknown' || run.killed) ? ` -- ${run.message}` : '';
                  // Names and the child's last stderr line are user text: escaped, cut.
                  const line = `[${i + 1}/${total}] ${echo(r.name, 300)}: ${r.result} ${r.seconds.toFixed(2)} s ${verdict}${echo(why, 300)}`;
                  reporter.finished(line, i + 1, `verified ${verified}/${i + 1}`);
                },
              })
        ).finally(() => reporter.stop());
        if (interrupted || value.aborted) {
          process.stderr.write('verify gate: interrupted\n');
          ctx.setExitCode(SIGNAL_EXIT[interrupted ?? 'SIGINT']);
          return;
        }
        if (shard) {
          const robustness = fromSamples ? { eps: flags.eps!, clipMin: flags.clipMin, clipMax: flags.clipMax } : undefined;
          ctx.setExitCode(finishGateShard(value.report, shard, set, flags.json!, robustness));
          return;
        }
        const r = value.report;
        const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
        const c = r.counts;
        process.stdout.write(
          `\ngate: ${r.passed ? 'PASS' : 'FAIL'}: ${r.verified}/${r.total} properties verified robust (${pct(r.verifiedFraction)}), threshold ${pct(r.threshold)}\n` +
            `  unsat ${c.unsat}, sat ${c.sat}, timeout ${c.timeout}, unknown ${c.unknown}, error ${c.error}; ${r.totalSeconds.toFixed(1)} s in total\n`,
        );
        if (flags.json) {
          const json = {
            ...r,
            ...(flags.properties ? { properties_csv: resolve(flags.properties) } : { onnx: resolve(flags.onnx!), samples: resolve(flags.samples!), eps: flags.eps, norm: flags.norm, clipMin: flags.clipMin ?? null, clipMax: flags.clipMax ?? null }),
            ...(tempDir ? { note: 'the generated VNN-LIB files were in a temporary folder, removed; use --work-dir to keep them' } : {}),
          };
          writeFileNoFollow(flags.json, `${JSON.stringify(json, null, 2)}\n`);
        }
        ctx.setExitCode(r.passed ? EXIT.ok : GATE_FAILED);
      } finally {
        if (tempDir) rmSync(tempDir, { recursive: true, force: true });
      }
    });
}
