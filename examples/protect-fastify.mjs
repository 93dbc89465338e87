import Fastify from 'fastify';
import { createVerifier, fastifyAuth } from '@keymint/sdk/node';

// The issuer of your Keymint tenant, and the audience your API accepts (Keymint's default is {issuer}/api).
const issuer = process.env.KEYMINT_ISSUER ?? 'http://127.0.0.1:8080/t/default';
const verifier = createVerifier({ issuer, audience: `${issuer}/api` });

const app = Fastify();
await app.register(fastifyAuth, { verifier });

app.get('/reports', { preHandler: app.requireScopes('contacts_read') }, async (request) => {
  return { client: request.auth.client_id, scope: request.auth.scope };
});

app.post('/reports', { preHandler: app.requireScopes('contacts_write') }, async (request, reply) => {
  return reply.code(201).send({ created_by: request.auth.client_id });
});

const address = await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT ?? 3000) });
console.log(`protected API listening on ${address}`);
