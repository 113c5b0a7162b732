import { test } from 'node:test';
import assert from 'node:assert/strict';
import { echo, escapeControls, safeLines, safeMessage, MESSAGE_MAX } from '../src/util/user-text.js';

test('echoed user text: control bytes escaped, long text cut with its length', () => {
  assert.equal(escapeControls('a\x1b[2Jb\nc\rd\te\x00\x7f\u202e'), 'a\\x1b[2Jb\\nc\\rd\\te\\x00\\x7f\\u202e');
  assert.equal(echo('short'), 'short');
  const long = echo('x'.repeat(10_000));
  assert.equal(long, `${'x'.repeat(80)}... (10000 characters)`);
  // Cut first, then escaped: a long run of escapes cannot grow past a few times the cap.
  assert.ok(echo('\x1b'.repeat(1_000_000)).length < 400);
  assert.ok(safeMessage('y'.repeat(20_000_000)).length <= MESSAGE_MAX + 40);
  // A surrogate pair is not split by the cut.
  assert.equal(echo(`${'a'.repeat(79)}😀tail`), `${'a'.repeat(79)}... (85 characters)`);
  // Multi-line text keeps its newlines, nothing else.
  assert.equal(safeLines('one\ntwo\x1b'), 'one\ntwo\\x1b');
});
