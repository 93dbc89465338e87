import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import pg from 'pg';
import SQLite from 'better-sqlite3';
import { randomLowerAlnum } from '../crypto/random.js';
import { basic, postForm, startTestServer, type TestServer } from '../testing/harness.js';
import { TEST_DATABASE, TEST_POSTGRES_URL } from '../testing/databases.js';
import { isDatabaseUnavailable } from '../store/outage.js';

/**
 * docs/operations.md "Database outage": every way the database can be unavailable is a 503
 * temporarily_unavailable with Retry-After, never a 500. Each case is made to happen to a real
 * database; the grace is long, so what is tested is the classification of the error itself.
 */

async function sqlAs(url: string, ...statements: string[]): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    for (const statement of statements) await client.query(statement);
  } finally {
    await client.end();
  }
}

/** A database owned by a role of its own (not a superuser, so a connection limit applies to it). */
async function ownedDatabase() {
  const name = `keymint_test_${randomLowerAlnum(12)}`;
  const role = `keymint_role_${randomLowerAlnum(10)}`;
  await sqlAs(TEST_POSTGRES_URL, `create role ${role} login`, `create database ${name} owner ${role}`);
  const adminUrl = new URL(TEST_POSTGRES_URL);
  adminUrl.pathname = `/${name}`;
  await sqlAs(adminUrl.href, `alter schema public owner to ${role}`);
  const url = new URL(adminUrl.href);
  url.username = role;
  return {
    name, role, url: url.href, adminUrl: adminUrl.href,
    /** Ends every session Keymint holds on the database (what a failover or an administrator does). */
    terminate: `select pg_terminate_backend(pid) from pg_stat_activity where datname = '${name}' and usename = '${role}'`,
    async drop() {
      await sqlAs(TEST_POSTGRES_URL, `drop database if exists ${name} with (force)`, `drop role if exists ${role}`);
    },
  };
}

interface Probe {
  server: TestServer;
  /** A contact write: always needs the database. */
  write(): Promise<{ status: number; retryAfter: string | null; body: any }>;
  /** A token for an app never used since it was created: not in any cache. */
  uncachedToken(): Promise<{ status: number; retryAfter: string | null; body: any }>;
}

async function probe(server: TestServer): Promise<Probe> {
  const app = await server.createApp({ scopes: ['contacts_write'] });
  const issued = await postForm(`${server.issuer}/oauth/token`, { grant_type: 'client_credentials', scope: 'contacts_write' }, { authorization: basic(app.clientId, app.clientSecret) });
  assert.equal(issued.status, 200);
  const cold = await server.createApp();
  // The change feed re-delivers the creation and drops the entry: let it pass so `cold` is uncached.
  await new Promise((resolve) => setTimeout(resolve, 500));
  const answer = async (response: Response) => ({ status: response.status, retryAfter: response.headers.get('retry-after'), body: await response.json().catch(() => null) });
  return {
    server,
    write: () => fetch(`${server.issuer}/api/v1/contacts`, {
      method: 'POST',
      headers: { authorization: `Bearer ${issued.body.access_token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ email: `c${randomLowerAlnum(8)}@example.com` }),
    }).then(answer),
    uncachedToken: () => fetch(`${server.issuer}/oauth/token`, {
      method: 'POST',
      headers: { authorization: basic(cold.clientId, cold.clientSecret), 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials',
    }).then(answer),
  };
}

function assertOutage(result: { status: number; retryAfter: string | null; body: any }, what: string): void {
  assert.equal(result.status, 503, `${what}: ${JSON.stringify(result.body)}`);
  assert.ok(Number(result.retryAfter) > 0, `${what}: Retry-After`);
  assert.equal(result.body?.error, 'temporarily_unavailable', what);
}

async function recovers(check: () => Promise<{ status: number }>, expected: number): Promise<void> {
  const started = Date.now();
  while ((await check()).status !== expected) {
    assert.ok(Date.now() - started < 30_000, `back to ${expected} within 30 s`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

const pgOnly = TEST_DATABASE === 'postgres' ? false : 'PostgreSQL run only';

async function withOwnedServer(run: (db: Awaited<ReturnType<typeof ownedDatabase>>, p: Probe) => Promise<void>): Promise<void> {
  const db = await ownedDatabase();
  const server = await startTestServer({ databaseUrl: db.url, env: { KEYMINT_OUTAGE_GRACE: '600' } });
  try {
    await run(db, await probe(server));
    assert.doesNotMatch(server.logs(), /"statusCode":500/, 'no 500 was answered');
  } finally {
    await server.close().catch(() => {});
    await db.drop();
  }
}

test('outage: SQLSTATE 55000 "database is not currently accepting connections" (ALTER DATABASE … ALLOW_CONNECTIONS false) → 503 + Retry-After, then recovery', { skip: pgOnly, timeout: 120_000 }, async () => {
  await withOwnedServer(async (db, p) => {
    await sqlAs(TEST_POSTGRES_URL, `alter database ${db.name} allow_connections false`, db.terminate);
    assertOutage(await p.write(), 'contacts write');
    assertOutage(await p.uncachedToken(), 'token for an app not in cache');
    await sqlAs(TEST_POSTGRES_URL, `alter database ${db.name} allow_connections true`);
    await recovers(p.write, 201);
  });
});

test('outage: SQLSTATE 53300 too many connections (role CONNECTION LIMIT 0) → 503 + Retry-After, then recovery', { skip: pgOnly, timeout: 120_000 }, async () => {
  await withOwnedServer(async (db, p) => {
    await sqlAs(TEST_POSTGRES_URL, `alter role ${db.role} connection limit 0`, db.terminate);
    assertOutage(await p.write(), 'contacts write');
    assertOutage(await p.uncachedToken(), 'token for an app not in cache');
    await sqlAs(TEST_POSTGRES_URL, `alter role ${db.role} connection limit -1`);
    await recovers(p.uncachedToken, 200);
  });
});

test('outage: SQLSTATE 25006 read-only (default_transaction_read_only during maintenance) → writes 503 + Retry-After, reads still served', { skip: pgOnly, timeout: 120_000 }, async () => {
  await withOwnedServer(async (db, p) => {
    await sqlAs(TEST_POSTGRES_URL, `alter database ${db.name} set default_transaction_read_only = on`, db.terminate);
    assertOutage(await p.write(), 'contacts write on a read-only database');
    assert.equal((await p.uncachedToken()).status, 200, 'a read (an uncached app) still works');
    await sqlAs(TEST_POSTGRES_URL, `alter database ${db.name} reset default_transaction_read_only`, db.terminate);
    await recovers(p.write, 201);
  });
});

test('outage: SQLSTATE 57P01 admin shutdown (pg_terminate_backend under a running query) → 503 + Retry-After, next request served', { skip: pgOnly, timeout: 120_000 }, async () => {
  await withOwnedServer(async (db, p) => {
    // Hold the contacts table so the write is in flight on its connection when that is terminated.
    const holder = new pg.Client({ connectionString: db.adminUrl });
    await holder.connect();
    try {
      await holder.query('begin');
      await holder.query('lock table contacts in access exclusive mode');
      const pending = p.write();
      const started = Date.now();
      for (;;) {
        const { rows } = await holder.query(`select count(*)::int as n from pg_stat_activity where datname = $1 and usename = $2 and wait_event_type = 'Lock'`, [db.name, db.role]);
        if (rows[0].n > 0) break;
        assert.ok(Date.now() - started < 10_000, 'the write waits on the lock');
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      await holder.query(db.terminate);
      // Released before the answer is awaited: the failed write looks for a duplicate email next.
      await holder.query('rollback');
      assertOutage(await pending, 'a write whose connection was terminated');
    } finally {
      await holder.end();
    }
    await recovers(p.write, 201);
  });
});

test('outage: SQLite write lock held past busy_timeout (SQLITE_BUSY) → 503 + Retry-After, then served', { skip: TEST_DATABASE === 'sqlite' ? false : 'SQLite run only', timeout: 60_000 }, async () => {
  const server = await startTestServer();
  try {
    const p = await probe(server);
    const other = new SQLite(join(server.dataDir, 'keymint.db'));
    try {
      other.exec('begin immediate');
      assertOutage(await p.write(), 'a write while another process holds the lock');
      other.exec('rollback');
    } finally {
      other.close();
    }
    assert.equal((await p.write()).status, 201);
    assert.doesNotMatch(server.logs(), /"statusCode":500/);
  } finally {
    await server.close();
  }
});

test('outage classifier: SQLSTATE classes and client failures, not a list of messages', () => {
  const unavailable = [
    { code: '08006' }, { code: '08001' }, { code: '53300' }, { code: '53100' }, { code: '57P01' }, { code: '57P03' },
    { code: '25006' }, { code: '58030' }, { code: '55000', severity: 'FATAL' }, { code: 'ECONNREFUSED' }, { code: 'ECONNRESET' },
    { code: 'ETIMEDOUT' }, { message: 'timeout exceeded when trying to connect' }, { message: 'Connection terminated unexpectedly' },
    { code: 'SQLITE_BUSY' }, { code: 'SQLITE_BUSY_SNAPSHOT' }, { code: 'SQLITE_LOCKED' }, { errors: [{ code: 'ECONNREFUSED' }] },
  ];
  for (const error of unavailable) assert.equal(isDatabaseUnavailable(error), true, JSON.stringify(error));
  const looped: { cause?: unknown } = {};
  looped.cause = { cause: looped };
  assert.equal(isDatabaseUnavailable(looped), false, 'a cause chain that loops ends');
  assert.equal(isDatabaseUnavailable(new Error('query failed', { cause: { code: '57P01' } })), true, 'wrapped by a cause');
  const bugs = [{ code: '23505' }, { code: '42P01' }, { code: '55000', severity: 'ERROR' }, { code: '22P02' }, { code: 'SQLITE_CONSTRAINT' }, new TypeError('x is undefined')];
  for (const error of bugs) assert.equal(isDatabaseUnavailable(error), false, JSON.stringify(error));
});
