import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { basic, postForm } from '../testing/harness.js';
import { spawnServe, type ServeProcess } from '../testing/serve-process.js';
import { spanAttribute, startOtlpCollector, type OtlpCollector } from '../testing/otlp-collector.js';
import { within } from '../testing/wait.js';

// Issue 21 item 4: `keymint serve` with OTEL_EXPORTER_OTLP_ENDPOINT sends its traces over OTLP/HTTP
// to a collector, here a small HTTP server in the test process that keeps every body it receives.

let collector: OtlpCollector;
let server: ServeProcess;

before(async () => {
  collector = await startOtlpCollector();
  server = await spawnServe([], { OTEL_EXPORTER_OTLP_ENDPOINT: collector.endpoint, OTEL_BSP_SCHEDULE_DELAY: '100', OTEL_SERVICE_NAME: 'keymint-under-test' });
});
after(async () => {
  await server.cleanup();
  await collector.close();
});

test('traces: a token request is a server span with the token endpoint and its database queries inside, and no secret, token or query value appears anywhere in what is sent', async () => {
  const app = await server.cli('app', 'create', '--name', 'traced', '--scopes', 'contacts_read');
  const apiToken = await server.cli('token', 'create', '--name', 'traced', '--scopes', 'contacts_read');
  const queryValue = 'q-value-7d1f2a9c';
  const parentTraceId = '4bf92f3577b34da6a3ce929d0e0e4736';

  const issued = await postForm(`${server.issuer}/oauth/token`, { grant_type: 'client_credentials' }, {
    authorization: basic(app.client_id, app.client_secret),
    traceparent: `00-${parentTraceId}-00f067aa0ba902b7-01`,
  });
  assert.equal(issued.status, 200);
  const accessToken: string = issued.body.access_token;
  // Credentials everywhere a client might put them: the body, the query string, a wrong secret.
  await postForm(`${server.issuer}/oauth/token?client_secret=${app.client_secret}&probe=${queryValue}`, { grant_type: 'client_credentials', client_id: app.client_id, client_secret: app.client_secret });
  assert.equal((await postForm(`${server.issuer}/oauth/token`, { grant_type: 'client_credentials' }, { authorization: basic(app.client_id, `${app.client_secret}x`) })).status, 401);
  await postForm(`${server.issuer}/oauth/introspect`, { token: accessToken }, { authorization: basic(app.client_id, app.client_secret) });
  for (const bearer of [accessToken, apiToken.token]) {
    const answer = await fetch(`${server.issuer}/api/v1/contacts?search=${queryValue}&access_token=${bearer}`, { headers: { authorization: `Bearer ${bearer}` } });
    assert.notEqual(answer.status, 500);
  }

  await within(15_000, 'spans of the resource API at the collector', async () => collector.spans().filter((s) => s.name === 'GET /t/:tenant/api/v1/contacts').length === 2);
  const all = collector.spans();
  assert.deepEqual([...collector.contentTypes], ['application/json'], 'OTLP/HTTP JSON');

  // The request that carried a W3C traceparent continues that trace.
  const tokenRequest = all.find((s) => s.name === 'POST /t/:tenant/oauth/token' && s.traceId === parentTraceId);
  assert.ok(tokenRequest, `a server span for the token request in the caller's trace: ${all.map((s) => s.name).join(', ')}`);
  assert.equal(tokenRequest.parentSpanId, '00f067aa0ba902b7');
  assert.equal(spanAttribute(tokenRequest, 'http.route'), '/t/:tenant/oauth/token');
  assert.equal(spanAttribute(tokenRequest, 'http.response.status_code'), 200);
  assert.equal(spanAttribute(tokenRequest, 'keymint.tenant'), 'default');
  const endpoint = all.find((s) => s.name === 'oauth.token' && s.parentSpanId === tokenRequest.spanId);
  assert.ok(endpoint, 'the token endpoint span is a child of the request span');
  assert.equal(spanAttribute(endpoint, 'oauth.grant_type'), 'client_credentials');
  const queries = all.filter((s) => s.traceId === parentTraceId && spanAttribute(s, 'db.system.name') !== undefined);
  assert.ok(queries.length > 0, 'the client lookup is a database span in the same trace');
  assert.ok(queries.every((q) => typeof spanAttribute(q, 'db.operation.name') === 'string'));
  const failed = all.find((s) => s.name === 'oauth.token' && spanAttribute(s, 'error.type') === 'invalid_client');
  assert.ok(failed, 'a refused client is an oauth.token span with its error code');

  const sent = collector.bodies.join('\n');
  assert.match(sent, /keymint-under-test/, 'OTEL_SERVICE_NAME names the service');
  for (const [what, value] of Object.entries({ 'client secret': app.client_secret, 'access token': accessToken, 'API token': apiToken.token, 'query value': queryValue, 'master key': server.env.KEYMINT_MASTER_KEY! })) {
    assert.ok(!sent.includes(value), `the ${what} appears in what was sent to the collector`);
  }
  assert.doesNotMatch(sent, /kms_|kmk_|kma_|eyJ|Basic |Bearer /, 'no credential of any kind');
});
