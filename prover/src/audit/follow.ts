/**
 * Runs `step` now and again every `intervalMs` until `signal` aborts (an abort ends the
 * wait at once): `zkclear audit --follow` and `zkclear replica`. The abort listener goes
 * with each wait, so a long-lived signal does not pile them up.
 */
export async function followLoop(
  signal: AbortSignal,
  intervalMs: number,
  step: () => Promise<void>,
): Promise<void> {
  while (!signal.aborted) {
    await step();
    await new Promise<void>((resolve) => {
      const done = () => (clearTimeout(t), signal.removeEventListener("abort", done), resolve());
      const t = setTimeout(done, intervalMs);
      signal.addEventListener("abort", done, { once: true });
    });
  }
}
