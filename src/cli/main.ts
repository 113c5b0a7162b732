import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { readFileSync } from 'node:fs';
import { EXIT, isInputError } from './errors.js';
import { parseDecimal, parseInteger } from '../util/decimal.js';
import { safeLines, safeMessage } from '../util/user-text.js';
import { emit, runVerify, type ProofReply, type VerifyFlags } from './verify-command.js';
import { safeSetTimeout } from '../util/timers.js';
import { prepareResultFile } from '../report/result-file.js';
import { BOUNDER_NAMES, RELU_RULE_NAMES } from '../engine/options.js';
import { BOUNDERS } from '../bounds/catalog.js';
import type { SubcommandContext } from './batch-command.js';

/** The subcommands' names: their modules are loaded only when the arguments may name one (or ask for help). */
const SUBCOMMANDS = ['batch', 'gate', 'check-proof', 'report'];

const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };

// Commander names the flag and quotes the value in its message.
function int(v: string): number {
  const n = parseInteger(v);
  if (n === undefined) throw new InvalidArgumentError('Not an integer (plain decimal digits).');
  return n;
}
function num(v: string): number {
  const n = parseDecimal(v);
  if (n === undefined) throw new InvalidArgumentError('Not a decimal number.');
  return n;
}

/** The --results path, read directly from argv so that even a usage error leaves an `error` result file. */
function resultsFromArgv(argv: string[]): string | undefined {
  const i = argv.findIndex((a) => a === '--results' || a.startsWith('--results='));
  if (i < 0) return undefined;
  return argv[i].includes('=') ? argv[i].slice('--results='.length) : argv[i + 1];
}

export async function main(argv: string[]): Promise<number> {
  // A reader that closes stdout early (`verify ... | head -1`) must not crash
  // the run: the verdict is still written to the result file and the exit code
  // still says how the run ended.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code !== 'EPIPE') throw e;
    });
  }
  // The time limit counts from process start, not from here: node's start-up and module loading are part of it.
  const start = performance.timeOrigin;
  let exitCode: number = EXIT.ok;
  const program = new Command('verify')
    .description(
      'Verify a VNN-LIB property of an ONNX network. Prints sat, unsat, timeout, unknown or error on the first line of stdout.',
    )
    .version(pkg.version)
    .option('--onnx <file>', 'network (ONNX)')
    .option('--vnnlib <file>', 'property (VNN-LIB; describes the unsafe set)')
    .option('--timeout <seconds>', 'wall-clock limit; the verdict is written before it expires', num, 60)
    .option('--results <file>', 'write the VNN-COMP result file here')
    .option('--seed <n>', 'random seed of the attacks', int, 0)
    .addOption(new Option('--mode <mode>', 'complete (branch and bound) or incomplete (one bounding pass + attacks)').default('complete').choices(['complete', 'incomplete']))
    .addOption(new Option('--bounder <name>', `bounder of every branch-and-bound step (auto: crown for input splitting, beta for ReLU splitting, alpha in incomplete mode); ${BOUNDERS.map((b) => `${b.name}: ${b.summary}${b.reluOnly ? ' [ReLU networks only]' : ''}`).join('; ')}`).default('auto').choices(['auto', ...BOUNDER_NAMES]))
    .addOption(new Option('--tight <name>', 'tight bounder of stratified bounding (auto: alpha for input splitting, none otherwise)').default('auto').choices(['auto', ...BOUNDER_NAMES, 'none']))
    .addOption(new Option('--branching <how>', 'input splitting, ReLU splitting, or auto by input size').default('auto').choices(['auto', 'input', 'relu']))
    .addOption(new Option('--relu-branching <rule>', 'neuron of each ReLU split: fsb (filtered smart branching: BaBSR\'s best candidates judged by their children\'s bounds; ReLU networks) or babsr').default('fsb').choices([...RELU_RULE_NAMES]))
    .option('--refine-share <share>', 'share of the time that ReLU splitting may spend first proving hidden neurons stable by searches of their own (0 = never)', num, 0.5)
    .option('--batch <n>', 'parents per branch-and-bound step (0 = automatic)', int, 0)
    .option('--memory <MiB>', 'memory budget for open domains; beyond it the answer is unknown', num, 6144)
    .option('--threads <n>', 'threads bounding each branch-and-bound batch', int, 2)
    .option('--strict-box', 'sat only with a float32 point inside the box, even where the box holds none (default: the nearest float32 point, at most one ulp and 1e-4 outside)', false)
    .addOption(new Option('--log-level <level>', 'log level (logs go to stderr)').default('warn').choices(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']))
    .option('--log-file <file>', 'write logs to this file instead of stderr')
    .option('--proof <file>', 'with unsat: write a certificate here (JSON Lines; check it with verify check-proof), after the verdict')
    .option('--proof-timeout <seconds>', 'time for writing the certificate, after the verdict (default: --timeout)', num)
    .exitOverride()
    // Commander's own error line is not printed: main() reports every error once, escaped
    // and cut (its messages quote the user's arguments).
    .configureOutput({ writeErr: (s) => process.stderr.write(safeLines(s)), outputError: () => undefined })
    // The options above belong to verify itself: after a subcommand name they are the subcommand's.
    .enablePositionalOptions()
    .action(async (flags: VerifyFlags) => {
      const { outcome, exitCode: code, stopSolver, proof } = await runVerify(flags, start);
      try {
        emit(outcome, flags.results);
        exitCode = code;
        if (flags.proof && outcome.verdict === 'unsat') reportProof(flags.proof, await proofWithin(proof, 1000 * (flags.proofTimeout ?? flags.timeout) + 10_000));
      } catch (e) {
        // The verdict is on stdout; only the result file failed (checked writable at start, so rare).
        process.stderr.write(`verify: error: cannot write the result file: ${safeMessage((e as Error).message)}\n`);
        exitCode = EXIT.inputError;
      } finally {
        // Always: exiting with the solver thread inside onnxruntime would abort the process.
        await stopSolver();
      }
    });
  // Subcommands (created with program.command(), so they inherit exitOverride and configureOutput).
  const ctx: SubcommandContext = { setExitCode: (code) => void (exitCode = code) };
  // A plain verify run (every argument an option or its value, none a subcommand's name) does not load the
  // subcommands' modules: module loading counts in each instance's time limit (about 25 ms of 55 here).
  if (argv.length === 0 || argv.some((a) => SUBCOMMANDS.includes(a) || a === 'help' || a === '-h' || a === '--help')) {
    const [batch, gate, checkProof, report] = await Promise.all([
      import('./batch-command.js'),
      import('./gate-command.js'),
      import('./check-proof-command.js'),
      import('./report-command.js'),
    ]);
    batch.registerBatchCommand(program, ctx);
    gate.registerGateCommand(program, ctx);
    checkProof.registerCheckProofCommand(program, ctx);
    program.addCommand(report.reportCommand());
  }
  const sub = program.commands.find((c) => c.name() === argv[0])?.name();
  try {
    if (sub === undefined) {
      const results = resultsFromArgv(argv);
      if (results) prepareResultFile(results);
    }
    await program.parseAsync(argv, { from: 'user' });
    return exitCode;
  } catch (e) {
    if (sub !== undefined) return subcommandFailure(sub, e);
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return EXIT.ok;
      emitError(e.message.replace(/^error: /, ''), resultsFromArgv(argv));
      return EXIT.inputError;
    }
    const err = e instanceof Error ? e : new Error(String(e));
    if (!isInputError(err)) process.stderr.write(`${safeLines(err.stack ?? err.message)}\n`);
    emitError(err.message, resultsFromArgv(argv));
    return isInputError(err) ? EXIT.inputError : EXIT.internalError;
  }
}

/** The certificate's report, or undefined when the solver thread does not send it in time. */
async function proofWithin(proof: () => Promise<ProofReply | undefined>, ms: number): Promise<ProofReply | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const r = await Promise.race([proof(), new Promise<undefined>((res) => (timer = safeSetTimeout(() => res(undefined), ms)))]);
  clearTimeout(timer);
  return r;
}

/** One line on stderr about the certificate: it is a by-product, the verdict stands either way. */
function reportProof(path: string, reply: ProofReply | undefined): void {
  const r = reply?.report;
  if (!r) {
    process.stderr.write(`verify: warning: no proof written: ${safeMessage(reply?.error ?? 'the solver thread did not finish it in time')}\n`);
  } else if (!r.complete) {
    process.stderr.write(`verify: warning: proof in ${safeMessage(path)} is incomplete (${safeMessage(r.reason ?? '')}); check-proof will reject it\n`);
  } else {
    process.stderr.write(`verify: proof written to ${safeMessage(path)} (${r.nodes} nodes, ${r.leaves} leaves, ${r.bytes} bytes, ${r.seconds.toFixed(1)} s)\n`);
  }
}

/** `error` on stdout and, when it can be written, in the result file. */
function emitError(message: string, resultsPath: string | undefined): void {
  try {
    emit({ verdict: 'error', message }, resultsPath);
  } catch (writeErr) {
    process.stderr.write(`verify: could not write the result file: ${safeMessage((writeErr as Error).message)}\n`);
  }
}

/** A subcommand's usage or input error: a message on stderr (no verdict line), exit code 2; a bug: 3. */
function subcommandFailure(sub: string, e: unknown): number {
  if (e instanceof CommanderError) {
    if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return EXIT.ok;
    process.stderr.write(`verify ${sub}: error: ${safeMessage(e.message.replace(/^error: /, ''))}\n`);
    return EXIT.inputError;
  }
  const err = e instanceof Error ? e : new Error(String(e));
  if (isInputError(err)) {
    process.stderr.write(`verify ${sub}: error: ${safeMessage(err.message)}\n`);
    return EXIT.inputError;
  }
  process.stderr.write(`verify ${sub}: internal error: ${safeLines(err.stack ?? err.message)}\n`);
  return EXIT.internalError;
}
