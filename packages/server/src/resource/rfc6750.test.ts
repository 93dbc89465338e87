import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import express from 'express';
import Fastify from 'fastify';
import { CLOCK_LEEWAY_SECONDS, createVerifier, expressAuth, fastifyAuth, resourceMetadataUrl, type Verifier } from '@keymint/sdk/node';
import { startTestServer, TestClock, type TestServer } from '../testing/harness.js';
import { fetchToken, introspect } from '../testing/tokens.js';

/**
 * Issue 15 item 6: the Contacts API (server) and the SDK's Express and Fastify middleware answer
 * the same RFC 6750 §3.1 cases the same way, and share one clock leeway with introspection.
 */

interface Answer {
  status: number;
  challenge: string | null;
  body: Record<string, unknown>;
}

async function call(url: string, authorization?: string): Promise<Answer> {
  const response = await fetch(url, { headers: authorization === undefined ? {} : { authorization } });
  const text = await response.text();
  return { status: response.status, challenge: response.headers.get('www-authenticate'), body: text ? JSON.parse(text) : {} };
}

const clock = new TestClock();
let server: TestServer;
let verifier: Verifier;
const closers: (() => Promise<unknown> | void)[] = [];
/** name → URL of a route that needs contacts_read. */
const targets: Record<string, string> = {};
/** RFC 9728 §5.1: every target names its metadata, the SDK's through its `resourceMetadata` option. */
let resourceMetadata: string;
let app: { clientId: string; clientSecret: string };

describe('RFC 6750 §3.1 on the resource API and the SDK middleware', () => {
  before(async () => {
    server = await startTestServer({ clock });
    closers.push(() => server.close());
    app = await server.createApp({ tokenLifetime: 60 });
    targets['resource API'] = `${server.issuer}/api/v1/contacts`;
    resourceMetadata = resourceMetadataUrl(`${server.issuer}/api`);

    verifier = createVerifier({ issuer: server.issuer, audience: `${server.issuer}/api`, now: clock.now, revocationPollMs: false });
    closers.push(() => verifier.close());

    const express5 = express();
    express5.get('/reports', expressAuth({ verifier, resourceMetadata }).requireScopes('contacts_read'), (_req, res) => void res.json({ ok: true }));
    const expressServer = express5.listen(0, '127.0.0.1');
    await new Promise((resolve) => expressServer.once('listening', resolve));
    closers.push(() => new Promise((resolve) => expressServer.close(resolve)));
    targets['SDK Express middleware'] = `http://127.0.0.1:${(expressServer.address() as AddressInfo).port}/reports`;

    const fastify = Fastify();
    await fastify.register(fastifyAuth, { verifier, resourceMetadata });
    fastify.get('/reports', { preHandler: (fastify as unknown as { requireScopes(...s: string[]): never }).requireScopes('contacts_read') }, async () => ({ ok: true }));
    await fastify.listen({ port: 0, host: '127.0.0.1' });
    closers.push(() => fastify.close());
    targets['SDK Fastify middleware'] = `http://127.0.0.1:${(fastify.server.address() as AddressInfo).port}/reports`;
  });
  after(async () => {
    for (const close of closers.reverse()) await close();
  });

  test('§3.1: no credentials (no header, an empty one, another scheme) → 401, challenge and body without an error code', async () => {
    for (const [name, url] of Object.entries(targets)) {
      for (const authorization of [undefined, '', 'Basic Zm9vOmJhcg==']) {
        const answer = await call(url, authorization);
        assert.equal(answer.status, 401, `${name} ${authorization}`);
        const bearer = `Bearer realm="${/realm="([^"]+)"/.exec(answer.challenge ?? '')?.[1]}", resource_metadata="${resourceMetadata}"`;
        // RFC 9449 §7.1: Keymint's API also takes DPoP, so it offers that scheme too (the middleware here has no dpop option).
        const dpop = name === 'resource API' ? `, DPoP realm="${server.issuer}", algs="ES256 ES384 EdDSA Ed25519 RS256 PS256", resource_metadata="${resourceMetadata}"` : '';
        assert.equal(answer.challenge, `${bearer}${dpop}`, `${name}: no error in the challenge, the metadata named`);
        assert.equal('error' in answer.body, false, `${name}: no error in the body: ${JSON.stringify(answer.body)}`);
      }
    }
  });

  test('§3.1: empty or malformed Bearer credentials → 400 invalid_request', async () => {
    for (const [name, url] of Object.entries(targets)) {
      for (const authorization of ['Bearer', 'Bearer ', 'Bearer two words', 'Bearer ab"c']) {
        const answer = await call(url, authorization);
        assert.equal(answer.status, 400, `${name} ${JSON.stringify(authorization)}`);
        assert.equal(answer.body.error, 'invalid_request', name);
        assert.match(answer.challenge ?? '', /^Bearer realm="[^"]+", error="invalid_request"/, name);
        assert.ok(answer.challenge?.endsWith(`, resource_metadata="${resourceMetadata}"`), `${name}: ${answer.challenge}`);
      }
    }
  });

  test('RFC 9068 §4: a JWT of another issuer (another tenant) → 401 invalid_token saying it was issued by another issuer', async () => {
    const { keymint } = server.server;
    if (!(await keymint.tenants.findBySlug('elsewhere'))) await keymint.tenants.create('elsewhere');
    const foreignApp = await server.createApp({ tenant: 'elsewhere' });
    const foreign = await fetchToken(`${server.url}/t/elsewhere`, foreignApp.clientId, foreignApp.clientSecret);
    for (const [name, url] of Object.entries(targets)) {
      const answer = await call(url, `Bearer ${foreign}`);
      assert.equal(answer.status, 401, name);
      assert.equal(answer.body.error, 'invalid_token', name);
      assert.match(String(answer.body.error_description), /issued by another issuer/, name);
    }
  });

  test(`RFC 7519 §4.1.4: one ${CLOCK_LEEWAY_SECONDS} s leeway: the resource API, the SDK middleware and introspection agree on both sides of exp + leeway`, async () => {
    const caller = await server.createApp({ name: 'introspecting resource server', scopes: [] });
    const token = await fetchToken(server.issuer, app.clientId, app.clientSecret);
    const exp = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()).exp as number;
    const verdicts = async () => {
      const results: Record<string, boolean> = {};
      for (const [name, url] of Object.entries(targets)) results[name] = (await call(url, `Bearer ${token}`)).status === 200;
      results.introspection = (await introspect(server.issuer, caller.clientId, caller.clientSecret, token)).body.active === true;
      return results;
    };
    const all = (value: boolean) => Object.fromEntries([...Object.keys(targets), 'introspection'].map((name) => [name, value]));
    // Move the shared clock (server and SDK middleware) to just inside, then just past, the leeway.
    clock.advance((exp + CLOCK_LEEWAY_SECONDS - 1) * 1000 - clock.now());
    assert.deepEqual(await verdicts(), all(true), 'within the leeway after exp: accepted everywhere');
    clock.advance(2_000);
    assert.deepEqual(await verdicts(), all(false), 'past the leeway: refused everywhere');
  });
});
