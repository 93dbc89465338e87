import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { basic, postForm, startTestServer } from '../testing/harness.js';
import { TEST_DATABASE } from '../testing/databases.js';

test('/metrics: tokens by tenant, client and result, latency by route, cache lookups, pool use; /healthz and /readyz', async () => {
  const server = await startTestServer();
  try {
    const app = await server.createApp();
    const url = `${server.issuer}/oauth/token`;
    for (let i = 0; i < 3; i++) assert.equal((await postForm(url, { grant_type: 'client_credentials' }, { authorization: basic(app.clientId, app.clientSecret) })).status, 200);
    assert.equal((await postForm(url, { grant_type: 'client_credentials' }, { authorization: basic(app.clientId, 'kms_wrong') })).status, 401);

    const response = await fetch(`${server.url}/metrics`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type')!, /text\/plain/);
    const text = await response.text();
    assert.match(text, new RegExp(`keymint_tokens_issued_total\\{tenant="default",client_id="${app.clientId}",result="issued"\\} 3`));
    // A failed authentication is not labelled with the presented client id (unbounded, attacker-chosen).
    assert.match(text, /keymint_tokens_issued_total\{tenant="default",client_id="unauthenticated",result="client_error"\} 1/);
    assert.match(text, /keymint_http_request_duration_seconds_bucket\{le="[^"]+",method="POST",route="\/t\/:tenant\/oauth\/token",status="200"\}/);
    assert.match(text, /keymint_cache_lookups_total\{cache="apps",result="hit"\} [1-9]/);
    assert.match(text, /keymint_change_feed_stale_seconds 0/);
    assert.match(text, /keymint_process_resident_memory_bytes/);
    if (TEST_DATABASE === 'postgres') {
      assert.match(text, /keymint_db_pool_connections\{state="max"\} 10/);
      assert.match(text, /keymint_change_listener_connected 1/);
    }

    assert.deepEqual(await (await fetch(`${server.url}/healthz`)).json(), { status: 'ok' });
    const ready = await fetch(`${server.url}/readyz`);
    assert.equal(ready.status, 200);
    assert.deepEqual(await ready.json(), { status: 'ready' });
    // Draining (graceful shutdown) makes the node unready so the balancer stops sending to it.
    server.server.app.operations.drain();
    const draining = await fetch(`${server.url}/readyz`);
    assert.equal(draining.status, 503);
    assert.equal(((await draining.json()) as { reason: string }).reason, 'shutting down');
  } finally {
    await server.close();
  }
});

test('every log line of a request carries its request id', async () => {
  const server = await startTestServer();
  try {
    await postForm(`${server.issuer}/oauth/token`, { grant_type: 'client_credentials' }, { authorization: basic('nobody', 'kms_wrong'), 'x-request-id': 'trace-abc-123' });
    const lines = server.logs().split('\n').filter(Boolean).map((line) => JSON.parse(line));
    const ofRequest = lines.filter((line) => line.req || line.res || line.reqId);
    assert.ok(ofRequest.length >= 2);
    for (const line of ofRequest) assert.ok(line.reqId, `log line without reqId: ${JSON.stringify(line)}`);
    assert.ok(ofRequest.some((line) => line.reqId === 'trace-abc-123'), 'a caller\'s X-Request-Id is kept');
  } finally {
    await server.close();
  }
});

/** A failing token request carrying an X-Forwarded-For header. */
function failFrom(url: string, forwardedFor: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const body = 'grant_type=client_credentials';
    const req = httpRequest(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': body.length, authorization: basic(`c${Math.random()}`, 'kms_wrong'), 'x-forwarded-for': forwardedFor },
    }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode!));
    });
    req.on('error', reject);
    req.end(body);
  });
}

for (const trusted of [true, false]) {
  test(`KEYMINT_TRUST_PROXY ${trusted ? 'set: the per-IP budget counts the client address from X-Forwarded-For' : 'unset: X-Forwarded-For is ignored (a client cannot pick its own address)'}`, async () => {
    const server = await startTestServer({ env: { KEYMINT_AUTH_FAILURES_PER_IP: '2', ...(trusted ? { KEYMINT_TRUST_PROXY: '127.0.0.1' } : {}) } });
    try {
      const url = `${server.issuer}/oauth/token`;
      assert.equal(await failFrom(url, '203.0.113.9'), 401);
      assert.equal(await failFrom(url, '203.0.113.9'), 401);
      assert.equal(await failFrom(url, '203.0.113.9'), 429);
      // Another client behind the proxy has its own budget only when the proxy is trusted.
      assert.equal(await failFrom(url, '203.0.113.10'), trusted ? 401 : 429);
    } finally {
      await server.close();
    }
  });
}
