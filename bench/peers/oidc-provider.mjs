// node-oidc-provider configured as the peer Keymint is compared with: in-memory storage, one
// client, the client-credentials grant issuing ES256 JWT access tokens through the
// resource-indicators feature (the configuration its documentation gives for JWT access tokens).
// Usage: node bench/peers/oidc-provider.mjs PORT   (prints "ready" when listening)
import { generateKeyPair, exportJWK } from 'jose';
import Provider from 'oidc-provider';

const port = Number(process.argv[2] ?? 3000);
const issuer = `http://127.0.0.1:${port}`;
const audience = 'https://api.example.com';
// A second resource whose tokens are opaque (stored in the in-memory adapter), for the
// opaque-token and introspection comparisons.
const opaqueAudience = 'https://opaque.example.com';
const { privateKey } = await generateKeyPair('ES256', { extractable: true });
const signingKey = { ...(await exportJWK(privateKey)), kid: 'bench', alg: 'ES256', use: 'sig' };

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: 'bench-client',
      client_secret: 'bench-secret-bench-secret-bench-secret',
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
      token_endpoint_auth_method: 'client_secret_basic',
      id_token_signed_response_alg: 'ES256',
      scope: 'contacts_read',
    },
  ],
  jwks: { keys: [signingKey] },
  scopes: ['contacts_read'],
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    introspection: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => audience,
      useGrantedResource: () => true,
      getResourceServerInfo: (_ctx, resource) => resource === opaqueAudience
        ? { scope: 'contacts_read', audience: opaqueAudience, accessTokenTTL: 7200, accessTokenFormat: 'opaque' }
        : { scope: 'contacts_read', audience, accessTokenTTL: 7200, accessTokenFormat: 'jwt', jwt: { sign: { alg: 'ES256' } } },
    },
  },
});
provider.on('server_error', (_ctx, error) => console.error('server_error', error));
provider.listen(port, '127.0.0.1', () => console.log('ready'));
