import cluster from 'node:cluster';
import { AggregatorRegistry, type Registry } from 'prom-client';

/**
 * One /metrics per server under `serve --workers N` (docs/operations.md "Health, readiness and
 * metrics"). A scrape reaches one worker through the shared port; that worker asks the primary,
 * which collects every worker's registry over IPC (prom-client's AggregatorRegistry) and answers
 * with the aggregate: counters and histograms summed over workers, gauges by the aggregator each
 * declares. So every scrape reads the whole server, whichever worker accepted it.
 */
const REQUEST = 'keymint:cluster-metrics';
const REPLY = 'keymint:cluster-metrics-reply';

interface Reply {
  type: typeof REPLY;
  id: number;
  text?: string;
  error?: string;
}

/** Primary: answers workers' requests for the aggregate. */
export function serveClusterMetrics(onError: (error: unknown) => void): void {
  const aggregator = new AggregatorRegistry();
  cluster.on('message', (worker, message: { type?: string; id: number } | null) => {
    if (message?.type !== REQUEST) return;
    aggregator.clusterMetrics().then(
      (text) => worker.isConnected() && worker.send({ type: REPLY, id: message.id, text } satisfies Reply),
      (error: unknown) => {
        onError(error);
        if (worker.isConnected()) worker.send({ type: REPLY, id: message.id, error: error instanceof Error ? error.message : String(error) } satisfies Reply);
      },
    );
  });
}

let nextId = 0;
const pending = new Map<number, { resolve(text: string): void; reject(error: Error): void }>();
let listening = false;

/** Worker: this process's registry is what it contributes to the primary's aggregate. */
export function contributeToClusterMetrics(registry: Registry): void {
  AggregatorRegistry.setRegistries([registry]);
  // The constructor installs prom-client's worker-side listener (once per process).
  new AggregatorRegistry();
  if (listening) return;
  listening = true;
  process.on('message', (message: Reply | null) => {
    if (message?.type !== REPLY) return;
    const waiter = pending.get(message.id);
    if (!waiter) return;
    pending.delete(message.id);
    if (message.error !== undefined) waiter.reject(new Error(`cluster metrics: ${message.error}`));
    else waiter.resolve(message.text ?? '');
  });
}

/** Worker: the whole server's metrics, from the primary (at most 6 s: prom-client waits 5 s for workers). */
export function clusterMetrics(): Promise<string> {
  const id = nextId++;
  return new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      pending.delete(id);
      reject(new Error('cluster metrics: the primary did not answer within 6 s'));
    }, 6_000);
    pending.set(id, {
      resolve: (text) => (clearTimeout(timer), resolve(text)),
      reject: (error) => (clearTimeout(timer), reject(error)),
    });
    process.send!({ type: REQUEST, id });
  });
}
