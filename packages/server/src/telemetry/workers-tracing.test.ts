import { test } from 'node:test';
import assert from 'node:assert/strict';
import { basic } from '../testing/harness.js';
import { spawnServe } from '../testing/serve-process.js';
import { spanAttribute, startOtlpCollector } from '../testing/otlp-collector.js';
import { within } from '../testing/wait.js';

// Issue 21 item 4 under `keymint serve --workers 2`: every worker starts its own SDK and exports to
// the collector, each as its own instance (service.instance.id, process.pid), and no worker sends a
// credential in any attribute, span or resource.

const TOKEN_ROUTE = 'POST /t/:tenant/oauth/token';

function workerPids(output: string): string[] {
  return [...output.matchAll(/\[worker (\d+)\] Keymint is listening/g)].map((m) => m[1]!);
}

test('traces under serve --workers 2: spans arrive from both workers, told apart by service.instance.id and process.pid, and carry no secret', { timeout: 180_000 }, async () => {
  const collector = await startOtlpCollector();
  const server = await spawnServe(['--workers', '2'], { OTEL_EXPORTER_OTLP_ENDPOINT: collector.endpoint, OTEL_BSP_SCHEDULE_DELAY: '100', OTEL_SERVICE_NAME: 'keymint-workers' });
  try {
    await within(30_000, 'two workers listening', async () => workerPids(server.output()).length >= 2);
    const pids = workerPids(server.output());
    const app = await server.cli('app', 'create', '--name', 'traced', '--scopes', 'contacts_read');
    const apiToken = await server.cli('token', 'create', '--name', 'traced', '--scopes', 'contacts_read');

    // Concurrent, on fresh connections, so both workers answer some; the secret in the header, the
    // body and the query string, and the tokens as Bearer and in the query.
    const accessTokens: string[] = [];
    await Promise.all(Array.from({ length: 30 }, async (_, i) => {
      const viaBody = i % 3 === 1;
      const response = await fetch(`${server.issuer}/oauth/token${i % 3 === 2 ? `?client_secret=${app.client_secret}` : ''}`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', connection: 'close', ...(viaBody ? {} : { authorization: basic(app.client_id, app.client_secret) }) },
        body: viaBody ? `grant_type=client_credentials&client_id=${app.client_id}&client_secret=${app.client_secret}` : 'grant_type=client_credentials',
      });
      const body = (await response.json()) as { access_token?: string };
      if (body.access_token) accessTokens.push(body.access_token);
    }));
    assert.ok(accessTokens.length > 0);
    await Promise.all([accessTokens[0]!, apiToken.token as string].flatMap((bearer) => Array.from({ length: 6 }, () =>
      fetch(`${server.issuer}/api/v1/contacts?access_token=${bearer}`, { headers: { authorization: `Bearer ${bearer}`, connection: 'close' } }).then((r) => r.arrayBuffer()))));

    const tokenSpans = () => collector.spansWithResource().filter(({ span }) => span.name === TOKEN_ROUTE);
    await within(20_000, 'token request spans from two service instances', async () => new Set(tokenSpans().map(({ resource }) => resource['service.instance.id'])).size === 2);
    const byInstance = new Map<unknown, unknown>();
    for (const { resource } of collector.spansWithResource()) {
      assert.equal(resource['service.name'], 'keymint-workers');
      assert.match(String(resource['service.instance.id']), /^[0-9a-f-]{36}$/, 'a UUID per process');
      byInstance.set(resource['service.instance.id'], String(resource['process.pid']));
    }
    // One instance per worker, each named by its pid: the primary (which serves nothing) sends no spans.
    assert.deepEqual([...new Set(byInstance.values())].sort(), [...pids].sort(), 'each worker\'s spans carry its own process.pid');
    assert.equal(byInstance.size, 2);
    assert.ok(tokenSpans().every(({ span }) => spanAttribute(span, 'http.response.status_code') === 200));

    const sent = collector.bodies.join('\n');
    const secrets = { 'client secret': app.client_secret, 'API token': apiToken.token, 'master key': server.env.KEYMINT_MASTER_KEY!, ...Object.fromEntries(accessTokens.map((t, i) => [`access token ${i}`, t])) };
    for (const [what, value] of Object.entries(secrets)) assert.ok(!sent.includes(value as string), `the ${what} appears in what a worker sent to the collector`);
    assert.doesNotMatch(sent, /kms_|kmk_|kma_|eyJ|Basic |Bearer /, 'no credential of any kind');
  } finally {
    await server.cleanup();
    await collector.close();
  }
});
