import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { spawnServe, type ServeProcess } from '../testing/serve-process.js';
import { startWebhookReceiver, type WebhookReceiver } from '../testing/webhook-receiver.js';
import { within } from '../testing/wait.js';

// Issue 21 item 4, "traces for … webhook deliveries": `keymint serve` with an OTLP endpoint sends
// one `webhook.deliver` span per attempt, to the same kind of collector as tracing.test.ts.

interface OtlpSpan {
  name: string;
  kind: number;
  status?: { code?: number };
  attributes?: { key: string; value: Record<string, unknown> }[];
}

const bodies: string[] = [];
let collector: Server;
let server: ServeProcess;
let accepting: WebhookReceiver;
let refusing: WebhookReceiver;

before(async () => {
  collector = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      if (request.url === '/v1/traces') bodies.push(Buffer.concat(chunks).toString('utf8'));
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
  accepting = await startWebhookReceiver();
  refusing = await startWebhookReceiver((_r, _i, response) => {
    response.statusCode = 503;
    response.end();
  });
  const { port } = collector.address() as AddressInfo;
  server = await spawnServe([], { OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`, OTEL_BSP_SCHEDULE_DELAY: '100', KEYMINT_WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true' });
});
after(async () => {
  await server.cleanup();
  await accepting.close();
  await refusing.close();
  await new Promise((resolve) => collector.close(resolve));
});

function spans(): OtlpSpan[] {
  return bodies.flatMap((body) => (JSON.parse(body) as { resourceSpans: { scopeSpans: { spans: OtlpSpan[] }[] }[] }).resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans)));
}
const attribute = (span: OtlpSpan, key: string) => {
  const value = span.attributes?.find((a) => a.key === key)?.value;
  return value === undefined ? undefined : Object.values(value)[0];
};

test('traces: each webhook delivery attempt is a webhook.deliver span with webhook id, event type, attempt and status code; never the URL query, the secret or the signature', { timeout: 120_000 }, async () => {
  const queryValue = 'q-value-5be0c3e1';
  const ok = await server.cli('webhook', 'create', '--url', `${accepting.url}?token=${queryValue}`, '--events', 'app.created');
  const failing = await server.cli('webhook', 'create', '--url', refusing.url, '--events', 'app.created');
  await server.cli('app', 'create', '--name', 'traced-webhook');

  await within(15_000, 'both webhook.deliver spans at the collector', async () => spans().filter((s) => s.name === 'webhook.deliver').length >= 2);
  const delivered = spans().filter((s) => s.name === 'webhook.deliver');
  const byHook = (id: string) => delivered.find((s) => attribute(s, 'keymint.webhook.id') === id)!;
  const good = byHook(ok.id);
  assert.ok(good, `a span for the webhook answering 204: ${delivered.map((s) => JSON.stringify(s.attributes)).join(', ')}`);
  assert.equal(good.kind, 3, 'SPAN_KIND_CLIENT');
  assert.equal(attribute(good, 'keymint.webhook.event_type'), 'app.created');
  assert.equal(Number(attribute(good, 'keymint.webhook.attempt')), 1);
  assert.equal(Number(attribute(good, 'http.response.status_code')), 204);
  assert.notEqual(good.status?.code, 2, 'a delivered attempt is not an error');
  const bad = byHook(failing.id);
  assert.ok(bad, 'a span for the webhook answering 503');
  assert.equal(Number(attribute(bad, 'http.response.status_code')), 503);
  assert.equal(bad.status?.code, 2, 'STATUS_CODE_ERROR for a refused attempt');

  const sent = bodies.join('\n');
  const [signature] = accepting.received.map((r) => String(r.headers['webhook-signature']));
  assert.ok(signature, 'the receiver got the delivery');
  for (const [what, value] of Object.entries({ 'URL query value': queryValue, 'webhook secret': ok.secret as string, 'second secret': failing.secret as string, signature: signature.split(',')[1]! })) {
    assert.ok(!sent.includes(value), `the ${what} appears in what was sent to the collector`);
  }
  assert.doesNotMatch(sent, /whsec_|v1,/, 'no secret or signature of any kind');
});
