/**
 * Retries an assertion until it passes or the time is up (then its last failure is thrown): for
 * effects that arrive by polling, such as the revocation feed reaching an SDK verifier.
 */
export async function waitFor(check: () => Promise<void>, timeoutMs = 5_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    try {
      await check();
      return;
    } catch (error) {
      if (Date.now() > until) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}
