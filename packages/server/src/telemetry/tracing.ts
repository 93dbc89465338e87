import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Attributes, type Span } from '@opentelemetry/api';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { LogEvent } from 'kysely';
import type { Config } from '../config.js';
import { KeymintError } from '../errors.js';

/**
 * Traces (docs/operations.md "Tracing"). Spans are made here by hand, never by patching modules,
 * and carry only what cannot hold a credential: methods, route templates (`/t/:tenant/oauth/token`,
 * never the path or query as sent), status codes, tenant slugs, grant types from a fixed list,
 * error codes, SQL operation and table names (never statements or parameters). Without a
 * configured endpoint the SDK is never imported and @opentelemetry/api hands out no-op spans.
 */
const tracer = trace.getTracer('keymint');

/** Whether this process has started the SDK: until then `traced` adds nothing to a handler, not even a no-op span. */
let started = false;

/** Starts the SDK when `config.tracing` is set; `shutdown` sends what is batched. */
export async function startTracing(config: Config): Promise<{ shutdown(): Promise<void> } | null> {
  if (!config.tracing) return null;
  started = true;
  const { startSdk } = await import('./sdk.js');
  return startSdk(config.tracing);
}

/**
 * One SERVER span per request, parent taken from a W3C `traceparent` header, made the active
 * context for everything the request does (its body stream's listeners included, so spans made
 * after the body is read still nest under it).
 */
export function installRequestTracing(app: FastifyInstance): void {
  const spans = new WeakMap<FastifyRequest, Span>();
  app.addHook('onRequest', (request, reply, done) => {
    const route = request.routeOptions.url;
    const span = tracer.startSpan(`${request.method} ${route ?? '(unmatched route)'}`, {
      kind: SpanKind.SERVER,
      attributes: { 'http.request.method': request.method, ...(route === undefined ? {} : { 'http.route': route }) },
    }, propagation.extract(ROOT_CONTEXT, request.headers));
    spans.set(request, span);
    const active = trace.setSpan(context.active(), span);
    context.bind(active, request.raw);
    context.bind(active, reply.raw);
    context.with(active, done);
  });
  const end = (request: FastifyRequest, reply: FastifyReply | null) => {
    const span = spans.get(request);
    if (!span) return;
    spans.delete(request);
    // request.tenant is set only for a tenant that exists: never a slug someone made up.
    if (request.tenant) span.setAttribute('keymint.tenant', request.tenant.slug);
    if (reply) {
      span.setAttribute('http.response.status_code', reply.statusCode);
      if (reply.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
    } else span.setStatus({ code: SpanStatusCode.ERROR, message: 'request aborted' });
    span.end();
  };
  app.addHook('onResponse', (request, reply, done) => {
    end(request, reply);
    done();
  });
  app.addHook('onRequestAbort', (request, done) => {
    end(request, null);
    done();
  });
}

/**
 * Wraps a route handler in an INTERNAL span named `name` (when tracing was started before the
 * route was registered, as `serve` does); `attributes` picks what may be said
 * about the request. A failure sets the span's status and its error code, never its message
 * (messages repeat what the client sent).
 */
export function traced<R, T>(name: string, attributes: (request: NoInfer<R>) => Attributes, handler: (request: R) => Promise<T>): (request: R) => Promise<T> {
  if (!started) return handler;
  return (request) => tracer.startActiveSpan(name, { attributes: attributes(request) }, async (span) => {
    try {
      return await handler(request);
    } catch (error) {
      span.setStatus({ code: SpanStatusCode.ERROR });
      span.setAttribute('error.type', error instanceof KeymintError ? error.code : 'internal');
      throw error;
    } finally {
      span.end();
    }
  });
}

/**
 * Kysely's `log` hook as CLIENT spans, one per query, timed by Kysely and parented by the active
 * request: the SQL operation and the first table it names, never the statement or its parameters.
 */
export function queryTracing(system: 'sqlite' | 'postgresql'): (event: LogEvent) => void {
  return (event) => {
    const end = Date.now();
    const operation = /^\s*([A-Za-z]+)/.exec(event.query.sql)?.[1]?.toUpperCase() ?? 'QUERY';
    const table = /\b(?:from|into|update)\s+"?([A-Za-z_]\w*)"?/i.exec(event.query.sql)?.[1];
    const span = tracer.startSpan(table === undefined ? operation : `${operation} ${table}`, {
      kind: SpanKind.CLIENT,
      startTime: end - event.queryDurationMillis,
      attributes: { 'db.system.name': system, 'db.operation.name': operation, ...(table === undefined ? {} : { 'db.collection.name': table }) },
    });
    if (event.level === 'error') span.setStatus({ code: SpanStatusCode.ERROR });
    span.end(end);
  };
}

/**
 * One CLIENT span per webhook delivery attempt (`webhook.deliver`): the webhook id, event type,
 * attempt number and the receiver's status code; never the URL, the payload, the secret or the
 * signature. A failed attempt (no answer, or not 2xx) sets the span's error status.
 */
export function traceWebhookDelivery<T extends { ok: boolean; status: number | null }>(about: { webhookId: string; eventType: string; attempt: number }, send: () => Promise<T>): Promise<T> {
  const attributes = { 'keymint.webhook.id': about.webhookId, 'keymint.webhook.event_type': about.eventType, 'keymint.webhook.attempt': about.attempt };
  return tracer.startActiveSpan('webhook.deliver', { kind: SpanKind.CLIENT, attributes }, async (span) => {
    try {
      const outcome = await send();
      if (outcome.status !== null) span.setAttribute('http.response.status_code', outcome.status);
      if (!outcome.ok) span.setStatus({ code: SpanStatusCode.ERROR });
      return outcome;
    } catch (error) {
      span.setStatus({ code: SpanStatusCode.ERROR });
      span.setAttribute('error.type', 'internal');
      throw error;
    } finally {
      span.end();
    }
  });
}
