import type { CheckedCounterexample } from '../attack/validate.js';

/** What a run concludes. Only `sat` carries a (checked) counterexample, and only `error` a message. */
export type Outcome =
  | { readonly verdict: 'sat'; readonly counterexample: CheckedCounterexample }
  | { readonly verdict: 'unsat' }
  | { readonly verdict: 'timeout' }
  | { readonly verdict: 'unknown'; readonly reason: string }
  | { readonly verdict: 'error'; readonly message: string };

export type Verdict = Outcome['verdict'];
