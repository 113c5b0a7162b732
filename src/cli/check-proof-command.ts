/**
 * `verify check-proof`: the independent checker of unsat certificates.
 * Prints `valid` or `invalid: <first failing node and why>`; exit 0 when
 * valid, 1 when invalid, 2 on unreadable or malformed input.
 */
import type { Command } from 'commander';
import { UsageError } from './errors.js';
import type { SubcommandContext } from './batch-command.js';
import { safeMessage } from '../util/user-text.js';

/** The proof does not establish the property. */
export const PROOF_INVALID = 1;

interface CheckProofFlags {
  onnx?: string;
  vnnlib?: string;
  proof?: string;
  json: boolean;
}

export function registerCheckProofCommand(program: Command, ctx: SubcommandContext): Command {
  return program
    .command('check-proof')
    .summary('check an unsat certificate written by verify --proof')
    .description(
      'Check an unsat certificate (verify --proof) against the network and property it names: the files must match its ' +
        'SHA-256 digests, its leaves must cover the input set, and every leaf bound is re-derived with rigorous ' +
        'rounding. Prints valid or invalid: <reason>. Exit codes: 0 valid, 1 invalid, 2 bad input.',
    )
    .option('--onnx <file>', 'network (ONNX)')
    .option('--vnnlib <file>', 'property (VNN-LIB)')
    .option('--proof <file>', 'certificate (JSON Lines, docs/proof-format.md)')
    .option('--json', 'print a JSON report instead of one line', false)
    .action(async (flags: CheckProofFlags) => {
      for (const f of ['onnx', 'vnnlib', 'proof'] as const) if (!flags[f]) throw new UsageError(`missing --${f} <file>`);
      const { checkProofFiles } = await import('../proof/check/checker.js');
      const report = await checkProofFiles(flags.onnx!, flags.vnnlib!, flags.proof!);
      if (flags.json) process.stdout.write(`${JSON.stringify(report)}\n`);
      else process.stdout.write(report.valid ? 'valid\n' : `invalid: ${safeMessage(report.reason ?? '')}\n`);
      ctx.setExitCode(report.valid ? 0 : PROOF_INVALID);
    });
}
