import Fastify from 'fastify';
import { createVerifier, fastifyAuth, resourceMetadataUrl } from '@keymint/sdk/node';

const issuer = process.env.KEYMINT_ISSUER ?? 'http://127.0.0.1:8080/t/default';
// Your API's public URL: its RFC 9728 resource identifier.
const resource = process.env.API_URL ?? 'http://127.0.0.1:3000';
const verifier = createVerifier({ issuer, audience: `${issuer}/api` });

const app = Fastify();
// Every 401/403/400 challenge now carries resource_metadata="<resource's metadata URL>".
await app.register(fastifyAuth, { verifier, resourceMetadata: resourceMetadataUrl(resource) });

// RFC 9728 §2: the document a client finds there.
app.get('/.well-known/oauth-protected-resource', async () => ({
  resource,
  authorization_servers: [issuer],
  scopes_supported: ['contacts_read'],
  bearer_methods_supported: ['header'],
}));

app.get('/reports', { preHandler: app.requireScopes('contacts_read') }, async (request) => {
  return { client: request.auth.client_id };
});

const address = await app.listen({ host: '127.0.0.1', port: Number(new URL(resource).port || 80) });
console.log(`protected API listening on ${address}`);
