// node-oidc-provider configured as the peer Keymint is compared with: in-memory storage, one
// client, the client-credentials grant issuing JWT access tokens through the resource-indicators
// feature (the way its documentation gives to get JWT access tokens: getResourceServerInfo
// returning accessTokenFormat 'jwt'). The JWT can be set up several documented ways, and a
// comparison against one of them could flatter Keymint, so VARIANT selects one:
//   es256  jwt.sign { alg: 'ES256' } with a P-256 key in jwks (Keymint's own algorithm)
//   eddsa  jwt.sign { alg: 'EdDSA' } with an Ed25519 key in jwks
//   rs256  no jwt.sign: the provider's default, clientDefaults.id_token_signed_response_alg (RS256), RSA 2048
//   hs256  jwt.sign { alg: 'HS256', key } with a symmetric key of the resource server (no public-key signature)
// Usage: node bench/peers/oidc-provider.mjs PORT [VARIANT]   (prints "ready" when listening)
import { generateKeyPair, exportJWK } from 'jose';
import { randomBytes } from 'node:crypto';
import Provider from 'oidc-provider';

// The list is PEER_VARIANTS in bench/lib.mjs too.
const PEER_VARIANTS = ['es256', 'eddsa', 'rs256', 'hs256'];

const port = Number(process.argv[2] ?? 3000);
const variant = process.argv[3] ?? 'es256';
if (!PEER_VARIANTS.includes(variant)) throw new Error(`unknown peer variant ${variant}: one of ${PEER_VARIANTS.join(', ')}`);
const issuer = `http://127.0.0.1:${port}`;
const audience = 'https://api.example.com';
// A second resource whose tokens are opaque (stored in the in-memory adapter), for the
// opaque-token and introspection comparisons.
const opaqueAudience = 'https://opaque.example.com';

async function signingKey(alg, options) {
  const { privateKey } = await generateKeyPair(alg, { extractable: true, ...options });
  return { ...(await exportJWK(privateKey)), kid: `bench-${alg}`, alg, use: 'sig' };
}
// ES256 signs the ID tokens nobody asks for here; the variant's key sits beside it.
const keys = [await signingKey('ES256')];
if (variant === 'eddsa') keys.push(await signingKey('EdDSA', { crv: 'Ed25519' }));
if (variant === 'rs256') keys.push(await signingKey('RS256', { modulusLength: 2048 }));
const jwt = {
  es256: { sign: { alg: 'ES256' } },
  eddsa: { sign: { alg: 'EdDSA' } },
  rs256: undefined,
  hs256: { sign: { alg: 'HS256', key: randomBytes(32) } },
}[variant];

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
  jwks: { keys },
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
        : { scope: 'contacts_read', audience, accessTokenTTL: 7200, accessTokenFormat: 'jwt', ...(jwt ? { jwt } : {}) },
    },
  },
});
provider.on('server_error', (_ctx, error) => console.error('server_error', error));
provider.listen(port, '127.0.0.1', () => console.log('ready'));
