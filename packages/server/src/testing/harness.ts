import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { CreateAppInput } from '../apps/model.js';
import { loadConfig } from '../config.js';
import { randomKey } from '../crypto/random.js';
import { startServer, type RunningServer } from '../server.js';
import { createPostgresDatabase, TEST_DATABASE, type ThrowawayDatabase } from './databases.js';

/** A controllable clock for tests of expiry; starts at the real time. */
export class TestClock {
  private offsetMs = 0;
  now = (): number => Date.now() + this.offsetMs;
  advance(ms: number): void {
    this.offsetMs += ms;
  }
}

export interface TestServer {
  /** Base URL, e.g. http://127.0.0.1:41234 */
  url: string;
  /** Issuer of tenant `default`. */
  issuer: string;
  server: RunningServer;
  dataDir: string;
  /** Environment that points a CLI process at this server's database and master key. */
  env: Record<string, string>;
  /** Every log line written so far. */
  logs(): string;
  /** Creates an app in tenant `default` (or `tenant`) through the service layer. */
  createApp(input?: Partial<CreateAppInput> & { tenant?: string }): Promise<{ clientId: string; clientSecret: string; secretId: string }>;
  close(): Promise<void>;
}

export interface TestServerOptions {
  env?: Record<string, string>;
  clock?: TestClock;
  /** Reuse a data folder (restart tests); a new temporary one otherwise. */
  dataDir?: string;
  /** Reuse a database (restart and multi-node tests); otherwise a new one of TEST_DATABASE's kind. */
  databaseUrl?: string;
}

/**
 * A real Keymint server on 127.0.0.1 and a free port, with its own temporary data folder,
 * SQLite database and master key, and its log captured in memory.
 */
export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'keymint-test-'));
  const ownsDataDir = options.dataDir === undefined;
  let database: ThrowawayDatabase | null = null;
  let databaseUrl = options.databaseUrl;
  if (databaseUrl === undefined && TEST_DATABASE === 'postgres') {
    if (options.dataDir !== undefined) throw new Error('a reused data folder needs its databaseUrl: use prepareTestStorage()');
    database = await createPostgresDatabase();
    databaseUrl = database.url;
  }
  // What a CLI process needs to reach the same database and master key: the keys the test gives
  // the server, else a fresh key, or the key file in dataDir when a data folder is reused, so
  // that restarts open what the first start sealed.
  const givenKeys = Object.fromEntries(Object.entries(options.env ?? {}).filter(([name]) => name.startsWith('KEYMINT_MASTER_KEY')));
  const env: Record<string, string> = {
    KEYMINT_DATA_DIR: dataDir,
    ...(databaseUrl ? { KEYMINT_DATABASE_URL: databaseUrl } : {}),
    ...(options.dataDir || givenKeys['KEYMINT_MASTER_KEY'] ? {} : { KEYMINT_MASTER_KEY: randomKey(32).toString('base64url') }),
    ...givenKeys,
  };
  const config = loadConfig({
    env: {
      HOST: '127.0.0.1',
      PORT: '0',
      KEYMINT_LOG_LEVEL: 'info',
      KEYMINT_CHANGE_POLL_MS: '50',
      ...env,
      ...options.env,
    },
    cwd: dataDir,
  });
  let captured = '';
  const logDestination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      captured += chunk.toString();
      done();
    },
  });
  const server = await startServer(config, { logDestination, now: options.clock?.now });
  const { keymint } = server;
  return {
    url: server.publicUrl,
    issuer: `${server.publicUrl}/t/default`,
    server,
    dataDir,
    env,
    logs: () => captured,
    async createApp(input = {}) {
      const tenant = await keymint.tenants.get(input.tenant ?? 'default');
      const { app, secret } = await keymint.apps.create(tenant.id, await keymint.tenants.scopes(tenant.id), {
        name: 'test app',
        scopes: ['contacts_read'],
        ...input,
      });
      if (!secret) throw new Error('createApp makes apps with secrets: create a private_key_jwt app with keymint.apps.create');
      return { clientId: app.clientId, clientSecret: secret.clientSecret, secretId: secret.secretId };
    },
    async close() {
      await server.close();
      await database?.drop();
      if (ownsDataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * Storage that outlives one server, for restart and multi-node tests: a data folder and, when
 * the suite runs on PostgreSQL, a throwaway database. Pass both to each startTestServer.
 */
export async function prepareTestStorage(): Promise<{ dataDir: string; databaseUrl?: string; cleanup(): Promise<void> }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'keymint-test-'));
  const database = TEST_DATABASE === 'postgres' ? await createPostgresDatabase() : null;
  return {
    dataDir,
    ...(database ? { databaseUrl: database.url } : {}),
    async cleanup() {
      await database?.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** POSTs a form to a URL; returns status, headers and the parsed JSON body. */
export async function postForm(
  url: string,
  form: Record<string, string> | string,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Headers; body: any }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: typeof form === 'string' ? form : new URLSearchParams(form).toString(),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined };
}

export function basic(clientId: string, clientSecret: string): string {
  const encode = (value: string) => encodeURIComponent(value).replace(/%20/g, '+');
  return `Basic ${Buffer.from(`${encode(clientId)}:${encode(clientSecret)}`).toString('base64')}`;
}
