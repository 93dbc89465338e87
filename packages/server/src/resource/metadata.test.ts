import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as oauth from 'oauth4webapi';
import { startTestServer } from '../testing/harness.js';
import { fetchToken } from '../testing/tokens.js';

test('RFC 9728 §3: oauth4webapi discovers the Contacts API\'s metadata, follows it to the authorization server and gets a token the API accepts', async () => {
  const server = await startTestServer();
  try {
    const resource = new URL(`${server.issuer}/api`);
    const request = await oauth.resourceDiscoveryRequest(resource, { [oauth.allowInsecureRequests]: true });
    assert.equal(request.url, `${server.url}/.well-known/oauth-protected-resource/t/default/api`, '§3.1: the well-known segment before the resource\'s path');
    const metadata = await oauth.processResourceDiscoveryResponse(resource, request);
    assert.deepEqual(metadata, {
      resource: `${server.issuer}/api`,
      authorization_servers: [server.issuer],
      scopes_supported: ['contacts_read', 'contacts_write'],
      bearer_methods_supported: ['header'],
      dpop_signing_alg_values_supported: ['ES256', 'ES384', 'EdDSA', 'Ed25519', 'RS256', 'PS256'],
      resource_documentation: `${server.url}/docs`,
    });

    const as = await oauth.processDiscoveryResponse(new URL(server.issuer), await oauth.discoveryRequest(new URL(metadata.authorization_servers![0]!), { [oauth.allowInsecureRequests]: true, algorithm: 'oauth2' }));
    const app = await server.createApp();
    const granted = await oauth.processClientCredentialsResponse(as, { client_id: app.clientId }, await oauth.clientCredentialsGrantRequest(
      as, { client_id: app.clientId }, oauth.ClientSecretBasic(app.clientSecret), new URLSearchParams({ scope: 'contacts_read', resource: metadata.resource }), { [oauth.allowInsecureRequests]: true },
    ));
    const listed = await oauth.protectedResourceRequest(granted.access_token, 'GET', new URL(`${server.issuer}/api/v1/contacts`), undefined, undefined, { [oauth.allowInsecureRequests]: true });
    assert.equal(listed.status, 200);
  } finally {
    await server.close();
  }
});

test('RFC 9728 §5.1: the Contacts API\'s 401 and 403 challenges carry resource_metadata; metadata of an unknown tenant is 404', async () => {
  const server = await startTestServer();
  try {
    const expected = `resource_metadata="${server.url}/.well-known/oauth-protected-resource/t/default/api"`;
    const contacts = `${server.issuer}/api/v1/contacts`;
    const invalid = await fetch(contacts, { headers: { authorization: 'Bearer kmk_unknown' } });
    assert.equal(invalid.status, 401);
    assert.match(invalid.headers.get('www-authenticate') ?? '', /^Bearer realm="[^"]+", error="invalid_token", error_description="[^"]+", resource_metadata="[^"]+"$/);
    assert.ok(invalid.headers.get('www-authenticate')!.endsWith(expected));

    const app = await server.createApp();
    const token = await fetchToken(server.issuer, app.clientId, app.clientSecret);
    const write = await fetch(contacts, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: '{"email":"a@example.com"}' });
    assert.equal(write.status, 403);
    assert.ok(write.headers.get('www-authenticate')!.endsWith(expected));

    const unknown = await fetch(`${server.url}/.well-known/oauth-protected-resource/t/nobody/api`);
    assert.equal(unknown.status, 404);
    assert.equal(((await unknown.json()) as { error: string }).error, 'not_found');
  } finally {
    await server.close();
  }
});
