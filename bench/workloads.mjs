// The requests the benchmark sends: one builder per workload and server, and the set-up requests
// (tokens to present, contacts to list). No measuring here (measure.mjs), no output (report.mjs).
import { createHash, createHmac, generateKeyPairSync, randomBytes, randomUUID, sign } from 'node:crypto';
import { basicAuth, PEER_CLIENT } from './lib.mjs';

export const form = (fields) => new URLSearchParams(fields).toString();
export const formHeaders = (extra = {}) => ({ 'content-type': 'application/x-www-form-urlencoded', ...extra });

/**
 * Each workload prepares one request per server. `peer` is absent where node-oidc-provider has no
 * equivalent; those rows report Keymint alone.
 */
export const workloads = [
  {
    name: 'client_credentials_jwt',
    title: 'client credentials → ES256 JWT',
    keymint: ({ issuer, app }) => ({
      url: `${issuer}/oauth/token`,
      method: 'POST',
      headers: formHeaders({ authorization: basicAuth(app.client_id, app.client_secret) }),
      body: form({ grant_type: 'client_credentials', scope: 'contacts_read' }),
    }),
    peer: ({ url }) => ({
      url: `${url}/token`,
      method: 'POST',
      headers: formHeaders({ authorization: basicAuth(PEER_CLIENT.id, PEER_CLIENT.secret) }),
      body: form({ grant_type: 'client_credentials', scope: 'contacts_read' }),
    }),
  },
  {
    name: 'client_credentials_opaque',
    title: 'client credentials → opaque token',
    keymint: ({ issuer, opaqueApp }) => ({
      url: `${issuer}/oauth/token`,
      method: 'POST',
      headers: formHeaders({ authorization: basicAuth(opaqueApp.client_id, opaqueApp.client_secret) }),
      body: form({ grant_type: 'client_credentials', scope: 'contacts_read' }),
    }),
    peer: ({ url }) => ({
      url: `${url}/token`,
      method: 'POST',
      headers: formHeaders({ authorization: basicAuth(PEER_CLIENT.id, PEER_CLIENT.secret) }),
      body: form({ grant_type: 'client_credentials', scope: 'contacts_read', resource: 'https://opaque.example.com' }),
    }),
  },
  {
    name: 'introspection',
    title: 'introspection of an opaque token',
    keymint: ({ issuer, app, opaqueToken }) => ({
      url: `${issuer}/oauth/introspect`,
      method: 'POST',
      headers: formHeaders({ authorization: basicAuth(app.client_id, app.client_secret) }),
      body: form({ token: opaqueToken }),
    }),
    peer: ({ url, peerOpaqueToken }) => ({
      url: `${url}/token/introspection`,
      method: 'POST',
      headers: formHeaders({ authorization: basicAuth(PEER_CLIENT.id, PEER_CLIENT.secret) }),
      body: form({ token: peerOpaqueToken }),
    }),
  },
  {
    name: 'envelope',
    title: 'envelope profile /v1/auth/token',
    keymint: ({ issuer, app }) => ({
      url: `${issuer}/v1/auth/token`,
      method: 'POST',
      headers: formHeaders(),
      body: form({ client_id: app.client_id, client_secret: app.client_secret }),
    }),
  },
  {
    name: 'signed_request',
    title: 'signed request /v3/tokens (HMAC)',
    keymint: ({ issuer, signedApp }) => {
      // Every request signs a fresh value: a replayed one would be refused. Each body has the
      // same length, so the first one also sets the Content-Length autocannon sends.
      const signedBody = () => {
        const timestamp = String(Math.floor(Date.now() / 1000));
        const value = randomBytes(18).toString('base64url');
        const signature = createHmac('sha256', signedApp.client_secret).update(`${value}.${value.length}.${timestamp}`).digest('hex');
        return JSON.stringify({ client_id: signedApp.client_id, audience: `${issuer}/api`, timestamp, signature_value: value, signature });
      };
      return {
        url: `${issuer}/v3/tokens`,
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: signedBody(),
        setupRequest: (request) => ({ ...request, body: signedBody() }),
      };
    },
  },
  {
    name: 'client_credentials_dpop',
    title: 'client credentials → DPoP-bound JWT (a fresh ES256 proof per request)',
    keymint: ({ issuer, app }) => {
      const url = `${issuer}/oauth/token`;
      const request = {
        url,
        method: 'POST',
        headers: formHeaders({ authorization: basicAuth(app.client_id, app.client_secret), dpop: dpopProof('POST', url) }),
        body: form({ grant_type: 'client_credentials', scope: 'contacts_read' }),
      };
      // Each proof's jti is used once: a new proof per request.
      return { ...request, setupRequest: (sent) => ({ ...sent, headers: { ...sent.headers, dpop: dpopProof('POST', url) } }) };
    },
  },
  {
    name: 'contacts_dpop',
    title: 'GET /api/v1/contacts with a DPoP-bound JWT and its proof',
    keymint: ({ issuer, dpopJwt }) => {
      const url = `${issuer}/api/v1/contacts`;
      const headers = () => ({ authorization: `DPoP ${dpopJwt}`, dpop: dpopProof('GET', url, dpopJwt) });
      return { url, method: 'GET', headers: headers(), setupRequest: (sent) => ({ ...sent, headers: headers() }) };
    },
  },
  {
    name: 'contacts_jwt',
    title: 'GET /api/v1/contacts with a JWT',
    keymint: ({ issuer, jwt }) => ({ url: `${issuer}/api/v1/contacts`, headers: { authorization: `Bearer ${jwt}` } }),
  },
  {
    name: 'contacts_api_token',
    title: 'GET /api/v1/contacts with an API token',
    keymint: ({ issuer, apiToken }) => ({ url: `${issuer}/api/v1/contacts`, headers: { authorization: `Bearer ${apiToken}` } }),
  },
  {
    // Issue 20: a gateway asking whether an API token may make a call (no limits: from memory).
    name: 'verify_api_token',
    title: 'POST /v1/keys/verify of an API token',
    keymint: ({ issuer, app, apiToken }) => ({
      url: `${issuer}/v1/keys/verify`,
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: basicAuth(app.client_id, app.client_secret) },
      body: JSON.stringify({ key: apiToken, scopes: ['contacts_read'] }),
    }),
  },
  {
    name: 'jwks',
    title: 'JWKS document',
    keymint: ({ issuer }) => ({ url: `${issuer}/.well-known/jwks.json` }),
    peer: ({ url }) => ({ url: `${url}/jwks` }),
  },
];

/** An access token from a token endpoint (client credentials, Basic auth). */
export async function issue(url, id, secret, fields) {
  const response = await fetch(url, { method: 'POST', headers: formHeaders({ authorization: basicAuth(id, secret) }), body: form(fields) });
  if (!response.ok) throw new Error(`token request to ${url} failed: ${response.status} ${await response.text()}`);
  return (await response.json()).access_token;
}

/**
 * The bench client's DPoP key and a proof for one request (RFC 9449 §4.2), signed synchronously:
 * autocannon's setupRequest cannot wait. ES256 with the raw R‖S signature of RFC 7518 §3.4.
 */
const dpopKey = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const dpopJwk = (({ kty, crv, x, y }) => ({ kty, crv, x, y }))(dpopKey.publicKey.export({ format: 'jwk' }));
const encodedDpopHeader = Buffer.from(JSON.stringify({ typ: 'dpop+jwt', alg: 'ES256', jwk: dpopJwk })).toString('base64url');
export function dpopProof(method, url, accessToken) {
  const claims = { jti: randomUUID(), htm: method, htu: url, iat: Math.floor(Date.now() / 1000), ...(accessToken ? { ath: createHash('sha256').update(accessToken).digest('base64url') } : {}) };
  const input = `${encodedDpopHeader}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
  return `${input}.${sign('sha256', Buffer.from(input), { key: dpopKey.privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`;
}

/** A token bound to the bench client's DPoP key. */
export async function issueBound(url, id, secret, fields) {
  const response = await fetch(url, { method: 'POST', headers: formHeaders({ authorization: basicAuth(id, secret), dpop: dpopProof('POST', url) }), body: form(fields) });
  if (!response.ok) throw new Error(`DPoP token request to ${url} failed: ${response.status} ${await response.text()}`);
  return (await response.json()).access_token;
}

/** Contacts for the list workloads to return. */
export async function seedContacts(issuer, jwt, count) {
  for (let i = 0; i < count; i++) {
    const response = await fetch(`${issuer}/api/v1/contacts`, {
      method: 'POST',
      headers: { authorization: `Bearer ${jwt}`, 'content-type': 'application/json' },
      body: JSON.stringify({ email: `person${i}@example.com`, name: `Person ${i}`, tags: ['bench'] }),
    });
    if (response.status !== 201) throw new Error(`seeding contacts failed: ${response.status}`);
  }
}
