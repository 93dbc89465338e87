import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Page } from 'playwright-core';
import { launchBrowser } from '../testing/browser.js';
import { startTestServer, type TestServer } from '../testing/harness.js';
import { exampleApp, type ExampleApp } from '../testing/end-users.js';

/**
 * Tabs in a real browser (headless Chromium) with @keymint/sdk/browser: tabs that share no storage
 * (`storage: 'memory'`) coordinate over a BroadcastChannel, so one tab refreshes for all and a
 * sign-out in one tab reaches the others; cookie-mode sign-out works after the access cookie expired
 * (docs/end-users.md "Tabs" and "Signing out").
 */

const LIFETIME = 3;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A tab of the example app with its own client (`window.c`) and event list (`window.ev`). */
async function openTab(pageOf: () => Promise<Page>, url: string, options: { issuer: string; appId: string; mode: string; storage: string }): Promise<Page> {
  const page = await pageOf();
  await page.goto(url);
  await page.evaluate(async (o) => {
    const sdk = await import('/sdk/keymint-browser.js' as string);
    const g = globalThis as any;
    g.c = sdk.createKeymintClient(o);
    g.ev = [];
    g.c.onAuthStateChange((event: unknown) => g.ev.push(event));
  }, options);
  return page;
}

const events = (page: Page): Promise<{ type: string; reason?: string }[]> => page.evaluate(() => (globalThis as any).ev);

async function withApp(mode: 'bearer' | 'cookie', run: (server: TestServer, app: ExampleApp, appId: string) => Promise<void>): Promise<void> {
  const server = await startTestServer();
  const tenant = await server.server.keymint.tenants.get('default');
  const app = await (await exampleApp())({ issuer: server.issuer, appId: tenant.appId, mode, port: 0, revocationPollMs: 200 });
  await server.server.keymint.users.updateSettings('default', { tokenMode: mode, allowedOrigins: [app.url], accessTokenLifetime: LIFETIME });
  try {
    await run(server, app, tenant.appId);
  } finally {
    await app.close();
    await server.close();
  }
}

test('browser tabs, cookie mode, no shared storage: a sign-in reaches the other tab; of two tabs refreshing at once one sends the refresh cookie and both get TOKEN_REFRESHED; sign-out in one tab signs the other out and ends the session', async () => {
  await withApp('cookie', async (server, app, appId) => {
    const { browser, close } = await launchBrowser();
    try {
      const context = await browser.newContext();
      const options = { issuer: server.issuer, appId, mode: 'cookie', storage: 'memory' };
      const a = await openTab(() => context.newPage(), app.url, options);
      const b = await openTab(() => context.newPage(), app.url, options);
      const refreshes: string[] = [];
      for (const [name, page] of [['a', a], ['b', b]] as const) page.on('request', (request) => request.url().endsWith('/auth/refresh') && refreshes.push(name));

      await a.evaluate(() => (globalThis as any).c.signUp({ email: 'tabs@example.com', password: 'tabs-password' }).then(() => undefined));
      await b.waitForFunction(() => (globalThis as any).c.getUser() !== null);
      assert.deepEqual((await events(b)).map((e) => e.type), ['SIGNED_IN']);

      await sleep(LIFETIME * 1000 - 500); // inside the refresh leeway (a quarter of the lifetime)
      await Promise.all([a, b].map((page) => page.evaluate(() => (globalThis as any).c.getAccessToken())));
      // Usually one refresh serves both tabs. Under load the second tab can take the Web Lock before
      // the first tab's BroadcastChannel message arrives and refresh again: the reuse grace answers it
      // with the same chain, so the session must live either way (checked below).
      assert.ok(refreshes.length === 1 || refreshes.length === 2, `one refresh per tab at most: ${refreshes.join(',')}`);
      await b.waitForFunction(() => (globalThis as any).ev.some((e: { type: string }) => e.type === 'TOKEN_REFRESHED'));
      await a.waitForFunction(() => (globalThis as any).ev.some((e: { type: string }) => e.type === 'TOKEN_REFRESHED'));
      const me = await b.evaluate(async () => (await (globalThis as any).c.fetch('/api/me')).status);
      assert.equal(me, 200);

      await a.evaluate(() => (globalThis as any).c.signOut());
      await b.waitForFunction(() => (globalThis as any).c.getUser() === null);
      assert.deepEqual((await events(b)).at(-1), { type: 'SIGNED_OUT', reason: 'user', user: null });
      const tenantId = (await server.server.keymint.tenants.get('default')).id;
      const user = await server.server.keymint.users.userByEmail(tenantId, 'tabs@example.com');
      const sessions = await server.server.keymint.users.sessions.list(tenantId, user.id);
      assert.equal(sessions.length, 1);
      assert.notEqual(sessions[0]!.revokedAt, null, 'the session ended at Keymint');
      assert.deepEqual((await context.cookies()).filter((c) => c.name.startsWith('keymint_')), [], 'cookies cleared');
    } finally {
      await close();
    }
  });
});

test('browser tabs, bearer mode, memory storage: each tab has its own session; sign-out in one tab signs the other out and ends both sessions', async () => {
  await withApp('bearer', async (server, app, appId) => {
    const { browser, close } = await launchBrowser();
    try {
      const context = await browser.newContext();
      const options = { issuer: server.issuer, appId, mode: 'bearer', storage: 'memory' };
      const a = await openTab(() => context.newPage(), app.url, options);
      const b = await openTab(() => context.newPage(), app.url, options);
      await a.evaluate(() => (globalThis as any).c.signUp({ email: 'pair@example.com', password: 'pair-password' }).then(() => undefined));
      await b.evaluate(() => (globalThis as any).c.signIn({ email: 'pair@example.com', password: 'pair-password' }).then(() => undefined));
      const tenant = await server.server.keymint.tenants.get('default');
      const user = await server.server.keymint.users.userByEmail(tenant.id, 'pair@example.com');
      assert.equal((await server.server.keymint.users.liveSessions(tenant, user.id)).length, 2);
      await a.evaluate(() => (globalThis as any).c.signOut());
      await b.waitForFunction(() => (globalThis as any).c.getUser() === null);
      assert.deepEqual((await events(b)).at(-1), { type: 'SIGNED_OUT', reason: 'user', user: null });
      for (let i = 0; i < 50 && (await server.server.keymint.users.liveSessions(tenant, user.id)).length > 0; i++) await sleep(100);
      assert.equal((await server.server.keymint.users.liveSessions(tenant, user.id)).length, 0, 'both sessions ended at Keymint');
    } finally {
      await close();
    }
  });
});

test('browser, cookie mode: signOut after the access cookie expired still ends the session (the refresh cookie now reaches /auth/signout)', async () => {
  await withApp('cookie', async (server, app) => {
    const { browser, close } = await launchBrowser();
    try {
      const context = await browser.newContext();
      const page = await context.newPage();
      await page.goto(app.url);
      await page.waitForFunction(() => (globalThis as any).keymint !== undefined);
      await page.evaluate(() => (globalThis as any).keymint.signUp({ email: 'late@example.com', password: 'late-password' }).then(() => undefined));
      await sleep(LIFETIME * 1000 + 500);
      assert.deepEqual((await context.cookies()).filter((c) => c.name === 'keymint_access'), [], 'the browser dropped the expired access cookie');
      const signouts: number[] = [];
      page.on('response', (response) => response.url().endsWith('/auth/signout') && signouts.push(response.status()));
      await page.evaluate(() => (globalThis as any).keymint.signOut());
      assert.deepEqual(signouts, [204]);
      const tenant = await server.server.keymint.tenants.get('default');
      const user = await server.server.keymint.users.userByEmail(tenant.id, 'late@example.com');
      assert.equal((await server.server.keymint.users.liveSessions(tenant, user.id)).length, 0);
      assert.deepEqual((await context.cookies()).filter((c) => c.name.startsWith('keymint_')), []);
    } finally {
      await close();
    }
  });
});
