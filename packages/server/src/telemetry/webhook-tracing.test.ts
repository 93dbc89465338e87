import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnServe, type ServeProcess } from '../testing/serve-process.js';
import { startWebhookReceiver, type WebhookReceiver } from '../testing/webhook-receiver.js';
import { spanAttribute, startOtlpCollector, type OtlpCollector } from '../testing/otlp-collector.js';
import { within } from '../testing/wait.js';

// Issue 21 item 4, "traces for … webhook deliveries": `keymint serve` with an OTLP endpoint sends
// one `webhook.deliver` span per attempt, to the same kind of collector as tracing.test.ts.

let collector: OtlpCollector;
let server: ServeProcess;
let accepting: WebhookReceiver;
let refusing: WebhookReceiver;

before(async () => {
  collector = await startOtlpCollector();
  accepting = await startWebhookReceiver();
  refusing = await startWebhookReceiver((_r, _i, response) => {
    response.statusCode = 503;
    response.end();
  });
  server = await spawnServe([], { OTEL_EXPORTER_OTLP_ENDPOINT: collector.endpoint, OTEL_BSP_SCHEDULE_DELAY: '100', KEYMINT_WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true' });
});
after(async () => {
  await server.cleanup();
  await accepting.close();
  await refusing.close();
  await collector.close();
});

test('traces: each webhook delivery attempt is a webhook.deliver span with webhook id, event type, attempt and status code; never the URL query, the secret or the signature', { timeout: 120_000 }, async () => {
  const queryValue = 'q-value-5be0c3e1';
  const ok = await server.cli('webhook', 'create', '--url', `${accepting.url}?token=${queryValue}`, '--events', 'app.created');
  const failing = await server.cli('webhook', 'create', '--url', refusing.url, '--events', 'app.created');
  await server.cli('app', 'create', '--name', 'traced-webhook');

  await within(15_000, 'both webhook.deliver spans at the collector', async () => collector.spans().filter((s) => s.name === 'webhook.deliver').length >= 2);
  const delivered = collector.spans().filter((s) => s.name === 'webhook.deliver');
  const byHook = (id: string) => delivered.find((s) => spanAttribute(s, 'keymint.webhook.id') === id)!;
  const good = byHook(ok.id);
  assert.ok(good, `a span for the webhook answering 204: ${delivered.map((s) => JSON.stringify(s.attributes)).join(', ')}`);
  assert.equal(good.kind, 3, 'SPAN_KIND_CLIENT');
  assert.equal(spanAttribute(good, 'keymint.webhook.event_type'), 'app.created');
  assert.equal(Number(spanAttribute(good, 'keymint.webhook.attempt')), 1);
  assert.equal(Number(spanAttribute(good, 'http.response.status_code')), 204);
  assert.notEqual(good.status?.code, 2, 'a delivered attempt is not an error');
  const bad = byHook(failing.id);
  assert.ok(bad, 'a span for the webhook answering 503');
  assert.equal(Number(spanAttribute(bad, 'http.response.status_code')), 503);
  assert.equal(bad.status?.code, 2, 'STATUS_CODE_ERROR for a refused attempt');

  const sent = collector.bodies.join('\n');
  const [signature] = accepting.received.map((r) => String(r.headers['webhook-signature']));
  assert.ok(signature, 'the receiver got the delivery');
  for (const [what, value] of Object.entries({ 'URL query value': queryValue, 'webhook secret': ok.secret as string, 'second secret': failing.secret as string, signature: signature.split(',')[1]! })) {
    assert.ok(!sent.includes(value), `the ${what} appears in what was sent to the collector`);
  }
  assert.doesNotMatch(sent, /whsec_|v1,/, 'no secret or signature of any kind');
});
