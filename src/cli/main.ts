import { Command, CommanderError, Option } from 'commander';
import { readFileSync } from 'node:fs';
import { EXIT, isInputError } from './errors.js';
import { emit, runVerify, type VerifyFlags } from './verify-command.js';
import { BOUNDER_NAMES } from '../engine/options.js';
import { registerBatchCommand, type SubcommandContext } from './batch-command.js';
import { registerGateCommand } from './gate-command.js';
import { reportCommand } from './report-command.js';

const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };

function int(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n)) throw new CommanderError(EXIT.inputError, 'verify.badInt', `'${v}' is not an integer`);
  return n;
}
function num(v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n)) throw new CommanderError(EXIT.inputError, 'verify.badNumber', `'${v}' is not a number`);
  return n;
}

/** The --results path, read directly from argv so that even a usage error leaves an `error` result file. */
function resultsFromArgv(argv: string[]): string | undefined {
  const i = argv.findIndex((a) => a === '--results' || a.startsWith('--results='));
  if (i < 0) return undefined;
  return argv[i].includes('=') ? argv[i].slice('--results='.length) : argv[i + 1];
}

export async function main(argv: string[]): Promise<number> {
  const start = Date.now();
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
    .addOption(new Option('--bounder <name>', 'bounder of every branch-and-bound step (auto: crown for input splitting, beta for ReLU splitting, alpha in incomplete mode)').default('auto').choices(['auto', ...BOUNDER_NAMES]))
    .addOption(new Option('--tight <name>', 'tight bounder of stratified bounding (auto: alpha for input splitting, none otherwise)').default('auto').choices(['auto', ...BOUNDER_NAMES, 'none']))
    .addOption(new Option('--branching <how>', 'input splitting, ReLU splitting (BaBSR), or auto by input size').default('auto').choices(['auto', 'input', 'relu']))
    .option('--batch <n>', 'parents per branch-and-bound step (0 = automatic)', int, 0)
    .option('--memory <MiB>', 'memory budget for open domains; beyond it the answer is unknown', num, 6144)
    .option('--threads <n>', 'threads bounding each branch-and-bound batch', int, 2)
    .option('--strict-box', 'sat only with a float32 point inside the box, even where the box holds none (default: the nearest float32 point, at most one ulp and 1e-4 outside)', false)
    .addOption(new Option('--log-level <level>', 'log level (logs go to stderr)').default('warn').choices(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']))
    .option('--log-file <file>', 'write logs to this file instead of stderr')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) })
    // The options above belong to verify itself: after a subcommand name they are the subcommand's.
    .enablePositionalOptions()
    .action(async (flags: VerifyFlags) => {
      const { outcome, exitCode: code, stopSolver } = await runVerify(flags, start);
      emit(outcome, flags.results);
      exitCode = code;
      await stopSolver();
    });
  // Subcommands (created with program.command(), so they inherit exitOverride and configureOutput).
  const ctx: SubcommandContext = { setExitCode: (code) => void (exitCode = code) };
  registerBatchCommand(program, ctx);
  registerGateCommand(program, ctx);
  program.addCommand(reportCommand());
  const sub = program.commands.find((c) => c.name() === argv[0])?.name();
  try {
    await program.parseAsync(argv, { from: 'user' });
    return exitCode;
  } catch (e) {
    if (sub !== undefined) return subcommandFailure(sub, e);
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return EXIT.ok;
      emit({ verdict: 'error', message: e.message.replace(/^error: /, '') }, resultsFromArgv(argv));
      return EXIT.inputError;
    }
    const err = e instanceof Error ? e : new Error(String(e));
    if (!isInputError(err)) process.stderr.write(`${err.stack}\n`);
    try {
      emit({ verdict: 'error', message: err.message }, resultsFromArgv(argv));
    } catch (writeErr) {
      process.stderr.write(`verify: could not write the result file: ${(writeErr as Error).message}\n`);
    }
    return isInputError(err) ? EXIT.inputError : EXIT.internalError;
  }
}

/** A subcommand's usage or input error: a message on stderr (no verdict line), exit code 2; a bug: 3. */
function subcommandFailure(sub: string, e: unknown): number {
  if (e instanceof CommanderError) {
    if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return EXIT.ok;
    // commander has printed its own errors (code commander.*); ours it has not.
    if (!e.code.startsWith('commander.')) process.stderr.write(`verify ${sub}: error: ${e.message}\n`);
    return EXIT.inputError;
  }
  const err = e instanceof Error ? e : new Error(String(e));
  if (isInputError(err)) {
    process.stderr.write(`verify ${sub}: error: ${err.message}\n`);
    return EXIT.inputError;
  }
  process.stderr.write(`verify ${sub}: internal error: ${err.stack}\n`);
  return EXIT.internalError;
}
