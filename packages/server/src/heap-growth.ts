import { setFlagsFromString } from 'node:v8';

/**
 * How far, in percent, V8 lets the old generation grow past what the last full collection left
 * live before it collects again. V8's own factor is chosen per collection between 1.1 and 4 from
 * how fast the heap is growing; under Keymint's mixed load it chose near the top, and RSS rose by
 * up to 100 MB and fell back at each full collection (docs/benchmarks.md, 2026-12-03). At 50 the
 * same load stays within a few MB, for a full collection every few tens of seconds.
 */
export const HEAP_GROWING_PERCENT = 50;

/**
 * Bounds the old generation's growth between full collections for a long-running server, so its
 * resident memory stays flat rather than a saw-tooth. An operator's own `--heap-growing-percent`
 * (in node's arguments) wins. Returns the V8 flag set, or null when the operator set one.
 */
export function boundHeapGrowth(execArgv: readonly string[] = process.execArgv): string | null {
  if (execArgv.some((arg) => /^--heap[-_]growing[-_]percent\b/.test(arg))) return null;
  const flag = `--heap-growing-percent=${HEAP_GROWING_PERCENT}`;
  setFlagsFromString(flag);
  return flag;
}
