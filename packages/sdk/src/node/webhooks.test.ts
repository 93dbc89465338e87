import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { OptionError, WebhookVerificationError } from './errors.js';
import { verifyWebhook } from './webhooks.js';

// The Standard Webhooks specification's published test vector.
const VECTOR = {
  secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  id: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
  timestamp: 1614265330,
  signature: 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
};
const EVENT = JSON.stringify({ type: 'app.created', timestamp: '2026-12-01T00:00:00.000Z', data: { tenant: 'default', actor: 'cli', actor_id: null, target: 'x', detail: null } });

function sign(secret: string, id: string, timestamp: number, body: string): string {
  return `v1,${createHmac('sha256', Buffer.from(secret.slice(6), 'base64')).update(`${id}.${timestamp}.${body}`).digest('base64')}`;
}

const at = (seconds: number) => () => seconds * 1000;

test('Standard Webhooks test vector: the published signature verifies (and the SDK reports a non-event body as ERR_WEBHOOK_PAYLOAD, after the signature passed)', () => {
  const headers = { 'webhook-id': VECTOR.id, 'webhook-timestamp': String(VECTOR.timestamp), 'webhook-signature': VECTOR.signature };
  assert.throws(() => verifyWebhook({ secret: VECTOR.secret, headers, body: '{"test": 2432232314}', now: at(VECTOR.timestamp) }), { code: 'ERR_WEBHOOK_PAYLOAD' });
  assert.throws(() => verifyWebhook({ secret: VECTOR.secret, headers, body: '{"test": 2432232315}', now: at(VECTOR.timestamp) }), { code: 'ERR_WEBHOOK_SIGNATURE' });
});

test('verifyWebhook: accepts any one matching v1 signature among several (rotation), from a Headers object or a record, string or bytes', () => {
  const secret = `whsec_${randomBytes(32).toString('base64')}`;
  const other = `whsec_${randomBytes(32).toString('base64')}`;
  const now = 1_800_000_000;
  const id = 'msg_1';
  const signatures = `v1a,zzz ${sign(other, id, now, EVENT)} v2,abc ${sign(secret, id, now, EVENT)}`;
  const record = { 'webhook-id': id, 'webhook-timestamp': String(now), 'webhook-signature': signatures };
  const event = verifyWebhook({ secret, headers: record, body: EVENT, now: at(now) });
  assert.equal(event.id, id);
  assert.equal(event.type, 'app.created');
  assert.equal(verifyWebhook({ secret, headers: new Headers(record), body: Buffer.from(EVENT), now: at(now) }).id, id);
  assert.equal(verifyWebhook({ secret: [randomSecret(), secret], headers: record, body: EVENT, now: at(now) }).id, id, 'a list of secrets');
  assert.throws(() => verifyWebhook({ secret: randomSecret(), headers: record, body: EVENT, now: at(now) }), (error: unknown) => error instanceof WebhookVerificationError && error.code === 'ERR_WEBHOOK_SIGNATURE');
  // A signature of another id or timestamp does not carry over.
  assert.throws(() => verifyWebhook({ secret, headers: { ...record, 'webhook-id': 'msg_2' }, body: EVENT, now: at(now) }), { code: 'ERR_WEBHOOK_SIGNATURE' });
  assert.throws(() => verifyWebhook({ secret, headers: { ...record, 'webhook-timestamp': String(now + 1) }, body: EVENT, now: at(now) }), { code: 'ERR_WEBHOOK_SIGNATURE' });
});

test('verifyWebhook: the timestamp must be within the tolerance in both directions (default 5 minutes)', () => {
  const secret = randomSecret();
  const sent = 1_800_000_000;
  const headers = { 'webhook-id': 'msg_1', 'webhook-timestamp': String(sent), 'webhook-signature': sign(secret, 'msg_1', sent, EVENT) };
  verifyWebhook({ secret, headers, body: EVENT, now: at(sent + 300) });
  verifyWebhook({ secret, headers, body: EVENT, now: at(sent - 300) });
  assert.throws(() => verifyWebhook({ secret, headers, body: EVENT, now: at(sent + 301) }), { code: 'ERR_WEBHOOK_TIMESTAMP_TOO_OLD' });
  assert.throws(() => verifyWebhook({ secret, headers, body: EVENT, now: at(sent - 301) }), { code: 'ERR_WEBHOOK_TIMESTAMP_TOO_NEW' });
  verifyWebhook({ secret, headers, body: EVENT, now: at(sent + 3000), toleranceSeconds: 3600 });
  assert.throws(() => verifyWebhook({ secret, headers: { ...headers, 'webhook-timestamp': '1.8e9' }, body: EVENT, now: at(sent) }), { code: 'ERR_WEBHOOK_TIMESTAMP_INVALID' });
});

test('verifyWebhook: missing headers and unusable secrets are typed errors that name no secret', () => {
  const secret = randomSecret();
  for (const missing of ['webhook-id', 'webhook-timestamp', 'webhook-signature']) {
    const headers: Record<string, string> = { 'webhook-id': 'msg_1', 'webhook-timestamp': '1', 'webhook-signature': 'v1,x' };
    delete headers[missing];
    assert.throws(() => verifyWebhook({ secret, headers, body: EVENT }), { code: 'ERR_WEBHOOK_HEADERS_MISSING' });
  }
  assert.throws(() => verifyWebhook({ secret: [], headers: {}, body: EVENT }), (error: unknown) => error instanceof OptionError && error.code === 'ERR_OPTION_MISSING');
  assert.throws(() => verifyWebhook({ secret: 'whsec_short', headers: {}, body: EVENT }), (error: unknown) => error instanceof OptionError && !String((error as Error).message).includes('short'));
});

function randomSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}
