import { writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { loadConfig } from '../config.js';
import { randomKey, randomLowerAlnum } from '../crypto/random.js';
import { openDatabase, type Db } from '../store/database.js';
import { prepareTestStorage, startTestServer, type TestServer } from './harness.js';
import { keymintCli } from './cli.js';
import { freePort } from './net.js';
import { spawnServe } from './serve-process.js';
import { within } from './wait.js';

/**
 * The three shapes a deployment's budgets must hold in (issue 14): one process, `serve --workers 2`
 * on one database, and two nodes sharing the database and Redis. Burst tests run the same
 * requests against each and count what really happened in the shared database.
 */
export interface Deployment {
  /**
   * Base URL of the i-th request's node (requests alternate when there are several); `base(0)` is
   * also the public URL every node names in its issuer.
   */
  base(i: number): string;
  db: Db;
  /** Every log line of every process (the development-mode sign-in code is read from it). */
  logs(): string;
  createAdmin(email: string, password: string): Promise<void>;
  /** An app allowing the client_secret methods, or the given ones. */
  createApp(authMethods?: string[]): Promise<{ clientId: string; clientSecret: string }>;
  /** A webhook of tenant `default` (the deployment must allow private networks for a loopback URL). */
  createWebhook(url: string, events: string[]): Promise<{ id: string; secret: string }>;
  /** A private_key_jwt app with the public keys of `jwks` (no secret). */
  createKeyApp(jwks: { keys: object[] }): Promise<{ clientId: string }>;
  /** The real `keymint … --json` CLI against the deployment's database (tenant `default`). */
  cli(...args: string[]): Promise<any>;
  close(): Promise<void>;
}

const REDIS_URL = 'redis://127.0.0.1:6379';

async function oneProcess(env: Record<string, string>): Promise<Deployment> {
  const server = await startTestServer({ env });
  return inProcess([server], async () => server.close());
}

/**
 * Two nodes behind one public URL, as a load balancer presents them (node A's address stands for
 * it): a token either node issues names the same issuer and verifies on the other.
 */
async function twoNodesWithRedis(env: Record<string, string>): Promise<Deployment> {
  const prefix = `keymint-test-${randomLowerAlnum(10)}:`;
  const storage = await prepareTestStorage();
  const port = await freePort();
  const shared = {
    ...env, KEYMINT_MASTER_KEY: randomKey(32).toString('base64url'), KEYMINT_REDIS_URL: REDIS_URL, KEYMINT_REDIS_PREFIX: prefix, KEYMINT_PUBLIC_URL: `http://127.0.0.1:${port}`,
  };
  const a = await startTestServer({ ...storage, env: { ...shared, PORT: String(port) } });
  const b = await startTestServer({ ...storage, env: shared });
  return inProcess([a, b], async () => {
    await a.close();
    await b.close();
    await storage.cleanup();
    const redis = new Redis(REDIS_URL);
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
  });
}

function inProcess(servers: TestServer[], close: () => Promise<void>): Deployment {
  const first = servers[0]!;
  return {
    base: (i) => `http://127.0.0.1:${(servers[i % servers.length]!.server.app.server.address() as AddressInfo).port}`,
    db: first.server.keymint.db,
    logs: () => servers.map((s) => s.logs()).join('\n'),
    async createAdmin(email, password) {
      await first.server.keymint.admins.createAccount({ email, password }, { actor: 'system' });
    },
    createApp: (authMethods) => first.createApp(authMethods ? { authMethods: authMethods as ('client_secret_basic' | 'client_secret_post' | 'signed_request')[] } : {}),
    async createWebhook(url, events) {
      const { keymint } = first.server;
      const created = await keymint.webhooks.create((await keymint.tenants.get('default')).id, { url, events }, { actor: 'system' });
      return { id: created.webhook.id, secret: created.secret };
    },
    async createKeyApp(jwks) {
      const { keymint } = first.server;
      const tenant = await keymint.tenants.get('default');
      const { app } = await keymint.apps.create(tenant.id, await keymint.tenants.scopes(tenant.id), { name: 'burst', scopes: ['contacts_read'], authMethods: ['private_key_jwt'], jwks });
      return { clientId: app.clientId };
    },
    cli: (...args) => keymintCli(first, ...args),
    close,
  };
}

async function workers(env: Record<string, string>): Promise<Deployment> {
  const server = await spawnServe(['--workers', '2'], env);
  await within(30_000, 'two workers listening', async () => (server.output().match(/\[worker \d+\] Keymint is listening/g) ?? []).length >= 2);
  const config = loadConfig({ env: server.env, cwd: server.env.KEYMINT_DATA_DIR! });
  const database = openDatabase(config.database);
  return {
    base: () => server.url,
    db: database.db,
    logs: () => server.output(),
    async createAdmin(email, password) {
      await server.cli('admin', 'create', '--email', email, '--password', password);
    },
    async createApp(authMethods) {
      const created = await server.cli('app', 'create', '--name', 'burst', '--scopes', 'contacts_read', ...(authMethods ? ['--auth-methods', authMethods.join(',')] : []));
      return { clientId: created.client_id, clientSecret: created.client_secret };
    },
    async createWebhook(url, events) {
      const created = await server.cli('webhook', 'create', '--url', url, '--events', events.join(','));
      return { id: created.id, secret: created.secret };
    },
    async createKeyApp(jwks) {
      const file = join(server.env.KEYMINT_DATA_DIR!, 'burst-jwks.json');
      writeFileSync(file, JSON.stringify(jwks));
      const created = await server.cli('app', 'create', '--name', 'burst', '--scopes', 'contacts_read', '--auth-methods', 'private_key_jwt', '--jwks', file);
      return { clientId: created.client_id };
    },
    cli: (...args) => server.cli(...args),
    async close() {
      await database.close();
      await server.cleanup();
    },
  };
}

/**
 * A burst of slow checks (scrypt) can keep a request waiting longer than the 30 s default socket
 * timeouts on a loaded machine; these tests count what happened, not how fast.
 */
const PATIENT = { KEYMINT_IDLE_TIMEOUT: '180', KEYMINT_REQUEST_TIMEOUT: '180' };

export const TOPOLOGIES: [string, (env: Record<string, string>) => Promise<Deployment>][] = [
  ['one process', (env) => oneProcess({ ...PATIENT, ...env })],
  ['serve --workers 2', (env) => workers({ ...PATIENT, ...env })],
  ['two nodes sharing the database and Redis', (env) => twoNodesWithRedis({ ...PATIENT, ...env })],
];

/** Audit rows of `action` for `target`, once every process has flushed its batch (≤ 1 s). */
export async function audited(db: Db, action: string, target: string, atLeast: number): Promise<number> {
  const count = async () => Number((await db.selectFrom('audit_log').select((eb) => eb.fn.countAll().as('n')).where('action', '=', action).where('target', '=', target).executeTakeFirstOrThrow()).n);
  await within(20_000, `${atLeast} ${action} audit rows`, async () => (await count()) >= atLeast);
  // Generous: a second flush interval and more, so a straggler would be seen.
  await new Promise((resolve) => setTimeout(resolve, 2_500));
  return count();
}

export function burst<T>(count: number, send: (i: number) => Promise<T>): Promise<T[]> {
  return Promise.all(Array.from({ length: count }, (_, i) => send(i)));
}

/**
 * The codes a development-mode deployment (no KEYMINT_SMTP_URL) wrote to the JSON log of any of
 * its processes for this normalised address, oldest first. Other lines are skipped.
 */
export function mailedCodes(deployment: Deployment, email: string): { code: string; purpose: string }[] {
  const codes: { code: string; purpose: string }[] = [];
  for (const line of deployment.logs().split('\n')) {
    if (!line.includes('code written to the log') || !line.includes(email) || !line.includes('{')) continue;
    let entry: { email?: string; code?: string; purpose?: string };
    try {
      entry = JSON.parse(line.slice(line.indexOf('{')));
    } catch {
      continue;
    }
    if (entry.email === email && typeof entry.code === 'string') codes.push({ code: entry.code, purpose: entry.purpose ?? 'sign-in' });
  }
  return codes;
}

/** Waits until `count` codes were mailed to `email`. */
export async function codesMailed(deployment: Deployment, email: string, count: number): Promise<void> {
  await within(10_000, `${count} codes for ${email} in the log`, async () => mailedCodes(deployment, email).length >= count);
}

/**
 * Sends the one request that mails `email` a code, alone, and returns that code: the one the
 * database now holds. (Each process has its own log, so the newest line overall need not be it.)
 */
export async function codeMailedBy(deployment: Deployment, email: string, request: () => Promise<{ status: number }>): Promise<string> {
  const earlier = mailedCodes(deployment, email).map((m) => m.code);
  const status = (await request()).status;
  if (status !== 204) throw new Error(`asking for a code for ${email} was answered ${status}`);
  await codesMailed(deployment, email, earlier.length + 1);
  const fresh = mailedCodes(deployment, email).map((m) => m.code);
  for (const code of earlier) fresh.splice(fresh.indexOf(code), 1);
  return fresh[0]!;
}
