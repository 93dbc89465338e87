import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import * as oauth from 'oauth4webapi';
import { ROOT, runDoc } from '../testing/docs.js';
import { startTestServer } from '../testing/harness.js';
import { freePort } from '../testing/net.js';
import { fetchToken } from '../testing/tokens.js';

const DOC = 'docs/resource-metadata.md';

test(`${DOC}: the Contacts API's metadata, its challenge and a signed introspection answer, as written`, { timeout: 60_000 }, async () => {
  const server = await startTestServer();
  try {
    const { stdout, output } = await runDoc(DOC, server);
    const metadata = stdout.split('\n').find((line) => line.startsWith('{"resource"'));
    assert.deepEqual(JSON.parse(metadata ?? 'null'), {
      resource: `${server.issuer}/api`, authorization_servers: [server.issuer], scopes_supported: ['contacts_read', 'contacts_write'],
      bearer_methods_supported: ['header'], dpop_signing_alg_values_supported: ['ES256', 'ES384', 'EdDSA', 'Ed25519', 'RS256', 'PS256'], resource_documentation: `${server.url}/docs`,
    }, output);
    assert.match(stdout, new RegExp(`^www-authenticate: Bearer realm="${server.issuer}", resource_metadata="${server.url}/\\.well-known/oauth-protected-resource/t/default/api"\\r?$`, 'mi'), output);
    assert.match(stdout, /^token-introspection\+jwt true true$/m, output);
  } finally {
    await server.close();
  }
});

test(`${DOC}: examples/resource-metadata.mjs is the file shown, and oauth4webapi discovers it; its 401 names the metadata`, { timeout: 60_000 }, async () => {
  const shown = /<!-- example: examples\/resource-metadata\.mjs -->\n```js\n([\s\S]*?)```/.exec(readFileSync(`${ROOT}${DOC}`, 'utf8'))?.[1];
  assert.equal(shown, readFileSync(`${ROOT}examples/resource-metadata.mjs`, 'utf8'));
  const server = await startTestServer();
  const resource = `http://127.0.0.1:${await freePort()}`;
  const child = spawn(process.execPath, ['examples/resource-metadata.mjs'], { cwd: ROOT, env: { ...process.env, KEYMINT_ISSUER: server.issuer, API_URL: resource }, stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    await new Promise<void>((resolve, reject) => {
      let output = '';
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('listening on')) resolve();
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', onData);
      child.on('exit', (code) => reject(new Error(`exited with ${code}: ${output}`)));
    });
    const metadata = await oauth.processResourceDiscoveryResponse(new URL(resource), await oauth.resourceDiscoveryRequest(new URL(resource), { [oauth.allowInsecureRequests]: true }));
    assert.deepEqual(metadata.authorization_servers, [server.issuer]);

    const refused = await fetch(`${resource}/reports`);
    assert.equal(refused.status, 401);
    assert.equal(refused.headers.get('www-authenticate'), `Bearer realm="api", resource_metadata="${resource}/.well-known/oauth-protected-resource"`);
    const app = await server.createApp();
    const ok = await fetch(`${resource}/reports`, { headers: { authorization: `Bearer ${await fetchToken(server.issuer, app.clientId, app.clientSecret)}` } });
    assert.equal(ok.status, 200);
  } finally {
    child.kill();
    await server.close();
  }
});
