/**
 * Parse every .vnnlib file under a benchmarks root and print a one-line
 * summary per file. Exits non-zero if any file fails, so it can gate CI.
 *
 *   node dist/scripts/parse-all-vnnlib.js ../shared/benchmarks
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseVnnlib } from '../src/vnnlib/index.js';

function* vnnlibFiles(dir: string): Generator<string> {
  const entries = readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name));
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory()) yield* vnnlibFiles(p);
    else if (e.isFile() && e.name.endsWith('.vnnlib')) yield p;
  }
}

function main(): number {
  const root = process.argv[2];
  if (!root || !statSync(root, { throwIfNoEntry: false })?.isDirectory()) {
    console.error('usage: parse-all-vnnlib <benchmarks-root>');
    return 2;
  }
  let ok = 0;
  let failed = 0;
  let slowest = { file: '', ms: -1, bytes: 0 };
  let largest = { file: '', ms: -1, bytes: -1 };
  for (const file of vnnlibFiles(root)) {
    const name = relative(root, file);
    // Read outside the timed section: we measure the parser, not the disk.
    const text = readFileSync(file, 'utf8');
    const t0 = performance.now();
    try {
      const spec = parseVnnlib(text, file);
      const ms = performance.now() - t0;
      const disjuncts = spec.regions.reduce((s, r) => s + r.disjuncts.length, 0);
      const atoms = spec.regions.reduce((s, r) => s + r.disjuncts.reduce((a, d) => a + d.atoms.length, 0), 0);
      console.log(
        `${name}\tinputs=${spec.numInputs} outputs=${spec.numOutputs} regions=${spec.regions.length} disjuncts=${disjuncts} atoms=${atoms}\t${ms.toFixed(1)} ms`,
      );
      if (ms > slowest.ms) slowest = { file: name, ms, bytes: text.length };
      if (text.length > largest.bytes) largest = { file: name, ms, bytes: text.length };
      ok++;
    } catch (err) {
      console.log(`${name}\tFAILED: ${err instanceof Error ? err.message : String(err)}`);
      failed++;
    }
  }
  console.log(`\n${ok + failed} files, ${ok} ok, ${failed} failed`);
  // The first files also pay for JIT warm-up, so the slowest is not always the largest.
  if (slowest.ms >= 0) console.log(`slowest: ${slowest.file} (${slowest.bytes} bytes) ${slowest.ms.toFixed(1)} ms`);
  if (largest.ms >= 0) console.log(`largest: ${largest.file} (${largest.bytes} bytes) ${largest.ms.toFixed(1)} ms`);
  return failed > 0 || ok === 0 ? 1 : 0;
}

process.exitCode = main();
