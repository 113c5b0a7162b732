/**
 * The signals that ask a command to stop (Ctrl-C, `kill`, a closed terminal),
 * and the exit code a shell reports for them. Commands catch them to answer
 * before exiting: verify writes a verdict, batch and gate keep their results.
 */

export const TERMINATION_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
export type TerminationSignal = (typeof TERMINATION_SIGNALS)[number];

/** 128 + the signal's number, as if the process had died of it. */
export const SIGNAL_EXIT: Record<TerminationSignal, number> = { SIGHUP: 129, SIGINT: 130, SIGTERM: 143 };

/** Calls `handler` on each termination signal until the returned function is called. */
export function onTerminationSignal(handler: (signal: TerminationSignal) => void): () => void {
  const installed = TERMINATION_SIGNALS.map((sig) => {
    const h = () => handler(sig);
    process.on(sig, h);
    return [sig, h] as const;
  });
  return () => {
    for (const [sig, h] of installed) process.off(sig, h);
  };
}
