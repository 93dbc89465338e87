import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { hostname } from 'node:os';
import type { Config } from '../config.js';
import { newInstanceId } from '../crypto/random.js';

/**
 * The OpenTelemetry SDK, imported only when tracing is configured (telemetry/tracing.ts): a
 * provider with AsyncLocalStorage context (database spans nest under their request), W3C trace
 * context propagation, and spans batched to the OTLP/HTTP collector. Batching and export timeouts
 * follow the standard OTEL_BSP_* and OTEL_EXPORTER_OTLP_* variables, read by the SDK itself.
 *
 * Every process (each `--workers` worker, each node) is its own instance: `service.instance.id`
 * is a random UUID per process start, as the semantic conventions recommend, with `process.pid`
 * and `host.name` beside it, so a collector can tell which worker made a span.
 */
export function startSdk(tracing: NonNullable<Config['tracing']>): { shutdown(): Promise<void> } {
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({
      'service.name': tracing.serviceName,
      'service.instance.id': newInstanceId(),
      'process.pid': process.pid,
      'host.name': hostname(),
    }),
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: tracing.tracesUrl }))],
  });
  provider.register();
  return { shutdown: () => provider.shutdown() };
}
