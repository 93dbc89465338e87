import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import type { Config } from '../config.js';

/**
 * The OpenTelemetry SDK, imported only when tracing is configured (telemetry/tracing.ts): a
 * provider with AsyncLocalStorage context (database spans nest under their request), W3C trace
 * context propagation, and spans batched to the OTLP/HTTP collector. Batching and export timeouts
 * follow the standard OTEL_BSP_* and OTEL_EXPORTER_OTLP_* variables, read by the SDK itself.
 */
export function startSdk(tracing: NonNullable<Config['tracing']>): { shutdown(): Promise<void> } {
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ 'service.name': tracing.serviceName }),
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: tracing.tracesUrl }))],
  });
  provider.register();
  return { shutdown: () => provider.shutdown() };
}
