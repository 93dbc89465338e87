import express from 'express';
import * as oauth from 'oauth4webapi';
import { createClient, createDpopVerifier, createVerifier, expressAuth } from '@keymint/sdk/node';

// An app created with `keymint app create --require-dpop`: it gets no token without a DPoP proof.
const issuer = process.env.KEYMINT_ISSUER ?? 'http://127.0.0.1:8080/t/default';
const clientId = process.env.CLIENT_ID;
const clientSecret = process.env.CLIENT_SECRET;
const contacts = `${issuer}/api/v1/contacts`;

// 1. The Node SDK: `dpop: true` makes a key pair (private key not extractable), binds its tokens
//    to it and sends a fresh proof with every call (retrying once when the server asks for a nonce).
const client = createClient({ issuer, clientId, clientSecret, scopes: ['contacts_read'], dpop: true });
console.log('sdk', (await client.fetch(contacts)).status);

// 2. oauth4webapi: a DPoP() handle on the token request and on the resource request.
const as = await oauth.processDiscoveryResponse(new URL(issuer), await oauth.discoveryRequest(new URL(issuer), { algorithm: 'oauth2', [oauth.allowInsecureRequests]: true }));
const DPoP = oauth.DPoP({}, await oauth.generateKeyPair('ES256'));
const grant = () => oauth.clientCredentialsGrantRequest(as, { client_id: clientId }, oauth.ClientSecretBasic(clientSecret), new URLSearchParams({ scope: 'contacts_read' }), { DPoP, [oauth.allowInsecureRequests]: true });
let tokens;
try {
  tokens = await oauth.processClientCredentialsResponse(as, { client_id: clientId }, await grant());
} catch (error) {
  if (!oauth.isDPoPNonceError(error)) throw error;
  tokens = await oauth.processClientCredentialsResponse(as, { client_id: clientId }, await grant()); // KEYMINT_DPOP_NONCE=on: once more, with the nonce
}
const listed = await oauth.protectedResourceRequest(tokens.access_token, 'GET', new URL(contacts), undefined, undefined, { DPoP, [oauth.allowInsecureRequests]: true });
console.log('oauth4webapi', tokens.token_type, listed.status);

// 3. A stolen bound token is useless without the key: as Bearer it is refused.
const stolen = await fetch(contacts, { headers: { authorization: `Bearer ${tokens.access_token}` } });
console.log('as Bearer', stolen.status, stolen.headers.get('www-authenticate').split(',')[0]);

// 4. Your own API: the SDK middleware with the `dpop` option takes bound tokens with their proofs.
const dpop = createDpopVerifier(); // one process: its own jti memory; several: pass claimJti (Redis SET NX PX)
const { requireScopes } = expressAuth({
  verifier: createVerifier({ issuer, audience: `${issuer}/api` }),
  dpop: { verifier: dpop, requestUrl: (req) => `http://127.0.0.1:${server.address().port}${req.url}` },
});
const api = express().get('/reports', requireScopes('contacts_read'), (req, res) => res.json({ client: req.auth.client_id, jkt: req.auth.cnf?.jkt }));
const server = api.listen(0, '127.0.0.1');
await new Promise((resolve) => server.once('listening', resolve));
console.log('your API', (await client.fetch(`http://127.0.0.1:${server.address().port}/reports`)).status);
server.close();
