import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createVerifier, InvalidTokenError } from '@keymint/sdk/node';
import { sql } from 'kysely';
import { loadConfig } from '../config.js';
import { MasterKeyring, toMasterKey } from '../crypto/keyring.js';
import { randomKey } from '../crypto/random.js';
import { openKeymint } from '../keymint.js';
import { createLogger } from '../log.js';
import { basic, postForm, prepareTestStorage } from '../testing/harness.js';
import { freePort } from '../testing/net.js';
import { ChildServer } from './child-server.js';

/**
 * SECURITY-CHECKLIST "kill -9 at any moment: every acknowledged write survives; revoked stays
 * revoked". The real `keymint serve` runs as a child process on a temporary data folder (and a
 * throwaway PostgreSQL database when the suite runs there); it is killed with SIGKILL in the
 * middle of a token load, of a secret rotation and of a key rotation, then restarted on the same
 * storage. An acknowledgement is a 200 from the server or the JSON a CLI command printed.
 */

interface Issued {
  token: string;
  kind: 'jwt' | 'opaque';
}
type Client = { client_id: string; client_secret: string };

/** Concurrent token requests and revocations until stopped; records what was acknowledged. */
class TokenLoad {
  issued: Issued[] = [];
  revoked = new Set<string>();
  /** Revocations sent but not answered (the server died meanwhile): either outcome is right. */
  unknown = new Set<string>();
  private running = false;
  private workers: Promise<void>[] = [];

  constructor(private readonly issuer: () => string, private readonly clients: { client: Client; kind: Issued['kind'] }[]) {}

  start(concurrency = 6): void {
    this.running = true;
    this.workers = Array.from({ length: concurrency }, (_, i) => this.work(i));
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.workers);
  }

  private async work(worker: number): Promise<void> {
    for (let n = 0; this.running; n++) {
      const { client, kind } = this.clients[(worker + n) % this.clients.length]!;
      const auth = { authorization: basic(client.client_id, client.client_secret) };
      try {
        const answer = await postForm(`${this.issuer()}/oauth/token`, { grant_type: 'client_credentials' }, auth);
        if (answer.status !== 200) continue;
        this.issued.push({ token: answer.body.access_token, kind });
        if (n % 4 === 3) {
          const token = answer.body.access_token as string;
          this.unknown.add(token);
          const revoked = await postForm(`${this.issuer()}/oauth/revoke`, { token }, auth);
          this.unknown.delete(token);
          if (revoked.status === 200) this.revoked.add(token);
        }
      } catch {
        // The server is down (killed): nothing was acknowledged; try again shortly.
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    }
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('durability: kill -9 of the real server process', { timeout: 240_000 }, () => {
  let storage: Awaited<ReturnType<typeof prepareTestStorage>>;
  let server: ChildServer;
  let env: Record<string, string>;
  let jwtApp: Client;
  let opaqueApp: Client;
  let load: TokenLoad;

  before(async () => {
    storage = await prepareTestStorage();
    env = {
      KEYMINT_DATA_DIR: storage.dataDir,
      KEYMINT_MASTER_KEY: randomKey(32).toString('base64url'),
      KEYMINT_CHANGE_POLL_MS: '50',
      // A next key may sign 1.1 s after it is published, so a test can rotate twice in seconds.
      KEYMINT_JWKS_MAX_AGE: '1',
      KEYMINT_LOG_LEVEL: 'warn',
      ...(storage.databaseUrl ? { KEYMINT_DATABASE_URL: storage.databaseUrl } : {}),
    };
    server = new ChildServer(await freePort(), env, storage.dataDir);
    await server.start();
    jwtApp = await server.cli('app', 'create', '--name', 'jwt load', '--scopes', 'contacts_read');
    opaqueApp = await server.cli('app', 'create', '--name', 'opaque load', '--scopes', 'contacts_read', '--format', 'opaque');
    load = new TokenLoad(() => server.issuer, [{ client: jwtApp, kind: 'jwt' }, { client: opaqueApp, kind: 'opaque' }]);
  });
  after(async () => {
    await load?.stop();
    await server?.kill9();
    await storage?.cleanup();
  });

  /** Every acknowledged token still works unless its revocation was acknowledged; then it fails. */
  async function assertAcknowledgedTokensHold(): Promise<void> {
    assert.ok(load.issued.length > 20, `the load got tokens (${load.issued.length})`);
    assert.ok(load.revoked.size > 3, `the load revoked tokens (${load.revoked.size})`);
    // SDK verifiers built after the restart: the JWKS and revocation feed come from the new process.
    const verifier = createVerifier({ issuer: server.issuer, audience: `${server.issuer}/api`, revocationPollMs: false, cacheSize: 0 });
    const withFeed = createVerifier({ issuer: server.issuer, audience: `${server.issuer}/api`, revocationPollMs: 60_000, cacheSize: 0 });
    const failures: string[] = [];
    try {
      for (const { token, kind } of load.issued) {
        if (load.unknown.has(token)) continue;
        const revoked = load.revoked.has(token);
        const status = (await fetch(`${server.issuer}/api/v1/contacts`, { headers: { authorization: `Bearer ${token}` } })).status;
        if (status !== (revoked ? 401 : 200)) failures.push(`${kind} ${revoked ? 'revoked' : 'live'} token → resource API ${status}`);
        if (kind !== 'jwt') continue;
        if (!revoked) await verifier.verify(token).catch((error: Error) => failures.push(`live JWT refused by the SDK: ${error.message}`));
        else await withFeed.verify(token).then(() => failures.push('revoked JWT accepted by the SDK (feed)'), (error: unknown) => assert.ok(error instanceof InvalidTokenError));
      }
    } finally {
      verifier.close();
      withFeed.close();
    }
    assert.deepEqual(failures.slice(0, 10), [], `${failures.length} of ${load.issued.length} acknowledged tokens changed state`);
  }

  async function restart(): Promise<void> {
    await server.start();
  }

  test('during a token load (issuing and revoking): every acknowledged token and revocation survives', async () => {
    load.start();
    await sleep(1_500);
    await server.kill9();
    await load.stop();
    await restart();
    await assertAcknowledgedTokensHold();
  });

  test('during a secret rotation (CLI add/revoke while the server is killed): acknowledged secrets work, the revoked one does not', async () => {
    const rotated: Client = await server.cli('app', 'create', '--name', 'rotated', '--scopes', 'contacts_read');
    const original = (await server.cli('app', 'secret', 'list', rotated.client_id)).secrets[0].secret_id as string;
    load.start();
    await sleep(300);
    const first = await server.cli('app', 'secret', 'add', rotated.client_id);
    // The server dies while the CLI writes the second secret (the CLI writes to the database itself).
    const [second] = await Promise.all([server.cli('app', 'secret', 'add', rotated.client_id), sleep(250).then(() => server.kill9())]);
    await server.cli('app', 'secret', 'revoke', rotated.client_id, original);
    // And a CLI process killed mid-write must leave nothing half-done.
    await server.cliKilledAfter(450, 'app', 'secret', 'add', rotated.client_id);
    await load.stop();
    await restart();

    const token = (secret: string) => postForm(`${server.issuer}/oauth/token`, { grant_type: 'client_credentials' }, { authorization: basic(rotated.client_id, secret) });
    assert.equal((await token(first.client_secret)).status, 200, 'secret added before the kill');
    assert.equal((await token(second.client_secret)).status, 200, 'secret added while the server was killed');
    assert.equal((await token(rotated.client_secret)).status, 401, 'acknowledged revocation holds');
    const secrets = (await server.cli('app', 'secret', 'list', rotated.client_id)).secrets as { secret_id: string; status: string }[];
    assert.ok(secrets.length === 3 || secrets.length === 4, `the killed CLI added its secret whole or not at all (${secrets.length} secrets)`);
    assert.equal(secrets.find((s) => s.secret_id === original)?.status, 'revoked');
    await assertAcknowledgedTokensHold();
  });

  test('during a key rotation: every acknowledged key is there, one signs, and every issued token verifies against the restarted JWKS', async () => {
    load.start();
    await sleep(300);
    const firstRotation = await server.cli('keys', 'rotate');
    assert.ok(firstRotation.promoted, 'the key staged at first start signs now');
    await sleep(1_300); // the new next key has now been published long enough to sign
    const [secondRotation] = await Promise.all([server.cli('keys', 'rotate'), sleep(200).then(() => server.kill9())]);
    assert.ok(secondRotation.promoted);
    await load.stop();
    await restart();

    const keys = (await server.cli('keys', 'list')).keys as { kid: string; state: string }[];
    const kids = new Set(keys.map((k) => k.kid));
    for (const acknowledged of [...firstRotation.keys, ...secondRotation.keys] as { kid: string }[]) assert.ok(kids.has(acknowledged.kid), `key ${acknowledged.kid} survived`);
    assert.deepEqual(keys.filter((k) => k.state === 'current').map((k) => k.kid), [secondRotation.promoted]);
    const jwks = (await (await fetch(`${server.issuer}/.well-known/jwks.json`)).json()) as { keys: { kid: string }[] };
    assert.deepEqual(jwks.keys.map((k) => k.kid).sort(), [...kids].sort(), 'retired keys are still published');
    await assertAcknowledgedTokensHold();
  });

  test('during a refresh load (rotating refresh tokens, shared commits on SQLite): every acknowledged rotation survives', async () => {
    // One loop per session, each holding the refresh token it was last answered with. A rotation
    // is answered only after its COMMIT, so after the restart that token must still refresh; had
    // the answer gone out first, the server would have lost the rotation and refuse it. A request
    // in flight at the kill may have rotated it unanswered: inside the reuse grace (60 s here) the
    // spent token is still answered, with the session's current one.
    await server.cli('users', 'settings', '--refresh-reuse-grace', '60s');
    const sessions = await Promise.all(Array.from({ length: 8 }, async (_, i) => {
      const answer = await fetch(`${server.issuer}/auth/signup`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: `rotating${i}@example.com`, password: 'a long enough password 1' }) });
      assert.equal(answer.status, 201);
      return { token: ((await answer.json()) as { refresh_token: string }).refresh_token, rotations: 0 };
    }));
    let running = true;
    const loops = sessions.map(async (session) => {
      while (running) {
        try {
          const answer = await fetch(`${server.issuer}/auth/refresh`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ refresh_token: session.token }) });
          assert.equal(answer.status, 200, `a live session refreshes (${answer.status})`);
          session.token = ((await answer.json()) as { refresh_token: string }).refresh_token;
          session.rotations++;
        } catch (error) {
          if (error instanceof assert.AssertionError) throw error;
          return; // the server died
        }
      }
    });
    await sleep(1_000);
    await server.kill9();
    running = false;
    await Promise.all(loops);
    await restart();
    assert.ok(sessions.reduce((sum, session) => sum + session.rotations, 0) > 20, 'the load rotated tokens');
    for (const session of sessions) {
      const answer = await fetch(`${server.issuer}/auth/refresh`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ refresh_token: session.token }) });
      assert.equal(answer.status, 200, `the last acknowledged refresh token of a session (after ${session.rotations} rotations) refreshes after kill -9`);
    }
  });

  test('after every kill nothing is half-written: storage integrity, each app has a secret, keys open with the master key', async () => {
    await server.kill9();
    const config = loadConfig({ env, cwd: storage.dataDir });
    const keymint = await openKeymint(config, { log: createLogger('silent') });
    try {
      const { db } = keymint;
      if (config.database.kind === 'sqlite') {
        const check = await sql<{ integrity_check: string }>`pragma integrity_check`.execute(db);
        assert.deepEqual(check.rows.map((r) => r.integrity_check), ['ok']);
      }
      const orphans = await db.selectFrom('apps').select('client_id').where(({ not, exists, selectFrom }) => not(exists(selectFrom('app_secrets').select('id').whereRef('app_secrets.app_id', '=', 'apps.id')))).execute();
      assert.deepEqual(orphans, [], 'every app has its first secret');
      const secrets = await db.selectFrom('app_secrets').select(['secret_hash', 'hint']).execute();
      for (const secret of secrets) assert.match(secret.secret_hash, /^[A-Za-z0-9_-]{43}$/, 'every secret row holds a whole hash');
      const keys = await db.selectFrom('signing_keys').selectAll().execute();
      assert.equal(keys.filter((k) => k.state === 'current').length, 1);
      for (const key of keys) assert.match(new MasterKeyring(toMasterKey(config.masterKey!)).open(key.private_key_sealed, `signing_key:${key.kid}`), /BEGIN PRIVATE KEY/);
    } finally {
      await keymint.close();
    }
  });
});
