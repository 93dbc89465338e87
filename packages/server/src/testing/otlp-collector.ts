import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One span as OTLP/HTTP JSON carries it (the fields the tests read). */
export interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  status?: { code?: number };
  attributes?: { key: string; value: Record<string, unknown> }[];
}

export interface OtlpCollector {
  /** What to give `keymint serve` as OTEL_EXPORTER_OTLP_ENDPOINT. */
  endpoint: string;
  /** Every body received at /v1/traces, as sent (the tests search them for secrets). */
  bodies: string[];
  /** The Content-Type of every body received. */
  contentTypes: Set<string>;
  /** Every span received so far. */
  spans(): OtlpSpan[];
  /** Every span received so far with the resource attributes of the process that sent it (`service.instance.id`, `process.pid`…). */
  spansWithResource(): { resource: Record<string, unknown>; span: OtlpSpan }[];
  close(): Promise<void>;
}

/** A small OTLP/HTTP collector in the test process that keeps every body it receives. */
export async function startOtlpCollector(): Promise<OtlpCollector> {
  const bodies: string[] = [];
  const contentTypes = new Set<string>();
  const collector = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      if (request.url === '/v1/traces') {
        bodies.push(Buffer.concat(chunks).toString('utf8'));
        contentTypes.add(request.headers['content-type'] ?? '');
      }
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
  const { port } = collector.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    bodies,
    contentTypes,
    spans: () => bodies.flatMap((body) => (JSON.parse(body) as { resourceSpans: { scopeSpans: { spans: OtlpSpan[] }[] }[] }).resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans))),
    spansWithResource: () => bodies.flatMap((body) => (JSON.parse(body) as { resourceSpans: { resource?: { attributes?: OtlpSpan['attributes'] }; scopeSpans: { spans: OtlpSpan[] }[] }[] }).resourceSpans.flatMap((r) => {
      const resource = Object.fromEntries((r.resource?.attributes ?? []).map((a) => [a.key, Object.values(a.value)[0]]));
      return r.scopeSpans.flatMap((s) => s.spans.map((span) => ({ resource, span })));
    })),
    close: () => new Promise((resolve) => collector.close(() => resolve())),
  };
}

/** A span attribute's value (OTLP wraps each in `{stringValue}`, `{intValue}`…). */
export function spanAttribute(span: OtlpSpan, key: string): unknown {
  const value = span.attributes?.find((a) => a.key === key)?.value;
  return value === undefined ? undefined : Object.values(value)[0];
}
