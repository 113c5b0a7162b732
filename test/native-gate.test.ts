import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from 'node:worker_threads';
import { NativeGate, nativeCall } from '../src/util/native-gate.js';

const gateModule = new URL('../src/util/native-gate.js', import.meta.url).href;

/** A worker that makes one 400 ms "native" call, then, when told, tries another. */
function slowCaller(): Worker {
  return new Worker(
    `const { parentPort } = require('node:worker_threads');
     import(${JSON.stringify(gateModule)}).then(async ({ nativeCall }) => {
       const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
       parentPort.postMessage('entering');
       await nativeCall(() => sleep(400));
       parentPort.postMessage('left');
       parentPort.once('message', async () => {
         try { await nativeCall(() => sleep(1)); parentPort.postMessage('ran'); }
         catch (e) { parentPort.postMessage(e.name); }
       });
     });`,
    { eval: true },
  );
}

test('native gate: closing waits for calls in flight in other threads, then refuses new ones', async () => {
  // Without a gate set up (tests, scripts, other commands) calls simply run.
  assert.equal(await nativeCall(async () => 42), 42);
  const gate = new NativeGate();
  const w = slowCaller();
  const messages: string[] = [];
  const next = () => new Promise<string>((r) => w.once('message', (m: string) => (messages.push(m), r(m))));
  assert.equal(await next(), 'entering');
  const left = next();
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(gate.inFlight, 1, 'the worker counts itself in');
  // Too short a wait: not safe yet.
  assert.equal(await gate.close(50), false);
  const t0 = performance.now();
  assert.equal(await gate.close(5000), true);
  assert.ok(performance.now() - t0 > 150, 'close waited for the call to finish');
  assert.equal(await left, 'left');
  assert.equal(gate.inFlight, 0);
  const refused = next();
  w.postMessage('again');
  assert.equal(await refused, 'SolverStopped');
  await w.terminate();
});
