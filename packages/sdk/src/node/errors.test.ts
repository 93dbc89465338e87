import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import {
  createAuthTokenVerifier, createClient, createVerifier, discover, DiscoveryError, KeysUnavailableError, metadataUrl, OptionError,
  RevocationFeedError, TokenRequestError, type DiscoveryErrorCode, type RevocationFeedErrorCode,
} from './index.js';

/**
 * An issuer on 127.0.0.1 whose metadata, JWKS and revocation feed answer what each test sets:
 * every way a server answer can be unusable reaches the caller as a typed error with a `code`.
 */
class MisbehavingIssuer {
  server!: Server;
  base = '';
  metadata: { status: number; body: string } = { status: 200, body: '' };
  jwks: { status: number; body: string } = { status: 200, body: '{"keys":[]}' };
  feed: { status: number; body: string } = { status: 404, body: '{}' };

  get issuer(): string {
    return `${this.base}/t/test`;
  }

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const answer = ({ status, body }: { status: number; body: string }) => res.writeHead(status, { 'content-type': 'application/json' }).end(body);
      if (req.url === '/.well-known/oauth-authorization-server/t/test') return answer(this.metadata);
      if (req.url === '/t/test/jwks') return answer(this.jwks);
      if (req.url?.startsWith('/t/test/oauth/revocations')) return answer(this.feed);
      return answer({ status: 404, body: '{}' });
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.base = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    this.good();
  }

  good(): void {
    this.metadata = { status: 200, body: JSON.stringify({ issuer: this.issuer, jwks_uri: `${this.issuer}/jwks`, token_endpoint: `${this.issuer}/token` }) };
  }
}

const issuer = new MisbehavingIssuer();
before(() => issuer.start());
after(() => new Promise((resolve) => issuer.server.close(resolve)));

async function discoveryCode(): Promise<{ code: DiscoveryErrorCode; status: number }> {
  const error = await discover(issuer.issuer, fetch).then(() => null, (e: unknown) => e);
  assert.ok(error instanceof DiscoveryError, `a DiscoveryError, got ${String(error)}`);
  return { code: error.code, status: error.status };
}

describe('discover (RFC 8414): every unusable answer is a DiscoveryError with a code', () => {
  test('a good document is returned as is', async () => {
    issuer.good();
    assert.equal((await discover(issuer.issuer, fetch)).issuer, issuer.issuer);
  });

  test('HTTP 500 → ERR_METADATA_STATUS with the status', async () => {
    issuer.metadata = { status: 500, body: '{"error":"server_error"}' };
    assert.deepEqual(await discoveryCode(), { code: 'ERR_METADATA_STATUS', status: 500 });
  });

  test('not JSON, or JSON that is not an object → ERR_METADATA_MALFORMED', async () => {
    issuer.metadata = { status: 200, body: '<html>' };
    assert.equal((await discoveryCode()).code, 'ERR_METADATA_MALFORMED');
    issuer.metadata = { status: 200, body: '["issuer"]' };
    assert.equal((await discoveryCode()).code, 'ERR_METADATA_MALFORMED');
  });

  test('§3.3: a document naming another issuer → ERR_METADATA_ISSUER_MISMATCH', async () => {
    issuer.metadata = { status: 200, body: JSON.stringify({ issuer: `${issuer.base}/t/other` }) };
    assert.equal((await discoveryCode()).code, 'ERR_METADATA_ISSUER_MISMATCH');
  });

  test('larger than MAX_METADATA_BYTES → ERR_METADATA_TOO_LARGE', async () => {
    issuer.metadata = { status: 200, body: JSON.stringify({ issuer: issuer.issuer, pad: 'x'.repeat(70_000) }) };
    assert.equal((await discoveryCode()).code, 'ERR_METADATA_TOO_LARGE');
  });

  test('nobody listening → ERR_METADATA_UNREACHABLE, status 0, the fetch failure as cause', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise((resolve) => closed.close(resolve));
    const error = await discover(`http://127.0.0.1:${port}/t/test`, fetch).then(() => null, (e: unknown) => e);
    assert.ok(error instanceof DiscoveryError);
    assert.equal(error.code, 'ERR_METADATA_UNREACHABLE');
    assert.equal(error.status, 0);
    assert.ok(error.cause instanceof Error);
  });
});

describe('caller mistakes are OptionError (a TypeError) with a code and the option, at construction', () => {
  test('an issuer that is not an absolute URL → ERR_OPTION_INVALID', async () => {
    assert.throws(() => metadataUrl('auth.example.com/t/acme'), (e: unknown) => e instanceof OptionError && e.code === 'ERR_OPTION_INVALID' && e.option === 'issuer');
    await assert.rejects(discover('not a url', fetch), (e: unknown) => e instanceof OptionError && e.code === 'ERR_OPTION_INVALID');
    assert.throws(() => createClient({ issuer: '/t/acme', clientId: 'c', clientSecret: 's' }), (e: unknown) => e instanceof OptionError && e.code === 'ERR_OPTION_INVALID');
  });

  test('a missing option → ERR_OPTION_MISSING naming it, and still a TypeError', () => {
    const missing = (option: string) => (e: unknown) => e instanceof OptionError && e instanceof TypeError && e.code === 'ERR_OPTION_MISSING' && e.option === option;
    assert.throws(() => createClient({ issuer: issuer.issuer, clientId: '', clientSecret: 's' }), missing('clientId'));
    assert.throws(() => createClient({ issuer: issuer.issuer, clientId: 'c' } as never), missing('clientSecret'));
    assert.throws(() => createVerifier({ issuer: '', audience: 'api' }), missing('issuer'));
    assert.throws(() => createVerifier({ issuer: issuer.issuer, audience: [] }), missing('audience'));
    assert.throws(() => createAuthTokenVerifier({ issuer: issuer.issuer, appId: '' }), missing('appId'));
  });
});

describe('errors behind the verifier and the client stay typed', () => {
  test('JWKS answers HTTP 500 → KeysUnavailableError ERR_JWKS_UNAVAILABLE (never acceptance)', async () => {
    issuer.good();
    issuer.jwks = { status: 500, body: '{}' };
    const verifier = createVerifier({ issuer: issuer.issuer, audience: 'api', revocationPollMs: false });
    await assert.rejects(verifier.verify('eyJhbGciOiJFUzI1NiIsImtpZCI6ImsifQ.e30.c2ln'), (e: unknown) => e instanceof KeysUnavailableError && e.code === 'ERR_JWKS_UNAVAILABLE' && /HTTP 500/.test(e.message));
  });

  test('metadata naming another issuer → KeysUnavailableError whose cause is the DiscoveryError', async () => {
    issuer.metadata = { status: 200, body: JSON.stringify({ issuer: 'https://elsewhere.example' }) };
    const verifier = createVerifier({ issuer: issuer.issuer, audience: 'api', revocationPollMs: false });
    await assert.rejects(verifier.verify('eyJhbGciOiJFUzI1NiIsImtpZCI6ImsifQ.e30.c2ln'), (e: unknown) =>
      e instanceof KeysUnavailableError && e.cause instanceof DiscoveryError && e.cause.code === 'ERR_METADATA_ISSUER_MISMATCH');
    issuer.good();
  });

  test('client: unusable metadata → TokenRequestError network_error whose cause is the DiscoveryError', async () => {
    issuer.metadata = { status: 503, body: '{}' };
    const client = createClient({ issuer: issuer.issuer, clientId: 'c', clientSecret: 's', maxRetries: 0 });
    await assert.rejects(client.getToken(), (e: unknown) =>
      e instanceof TokenRequestError && e.error === 'network_error' && e.cause instanceof DiscoveryError && e.cause.code === 'ERR_METADATA_STATUS');
    issuer.good();
  });

  test('revocation feed: a 500 and a body that is not {revocations, cursor} reach onError as RevocationFeedError', async () => {
    const seen: RevocationFeedErrorCode[] = [];
    // The feed's first poll starts with the verifier; its failure is reported, not thrown.
    const poll = async () => {
      const before = seen.length;
      const verifier = createVerifier({
        issuer: issuer.issuer, audience: 'api', revocationPollMs: 60_000,
        onError: (error) => {
          if (error instanceof RevocationFeedError) seen.push(error.code);
        },
      });
      for (let i = 0; i < 200 && seen.length === before; i++) await new Promise((resolve) => setTimeout(resolve, 10));
      verifier.close();
    };
    issuer.feed = { status: 500, body: '{}' };
    await poll();
    issuer.feed = { status: 200, body: '{"revocations":"none"}' };
    await poll();
    issuer.feed = { status: 404, body: '{}' };
    assert.deepEqual(seen.slice(0, 2), ['ERR_REVOCATION_FEED_STATUS', 'ERR_REVOCATION_FEED_MALFORMED']);
  });
});
