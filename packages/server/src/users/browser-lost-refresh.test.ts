import assert from 'node:assert/strict';
import { test } from 'node:test';
import { launchBrowser } from '../testing/browser.js';
import { refreshState } from '../testing/end-users.js';
import { startTestServer } from '../testing/harness.js';

/**
 * A refresh whose answer the browser really loses (Chromium: Keymint processes the request, the
 * connection is then reset before the page sees the answer, Set-Cookie included): the browser SDK
 * retries inside half the announced reuse grace and the session carries on with one live refresh
 * token (docs/end-users.md "A refresh whose answer was lost").
 */
interface ExampleApp {
  url: string;
  close(): Promise<void>;
}
type StartExampleApp = (options: { issuer: string; appId: string; mode: string; port: number; revocationPollMs: number }) => Promise<ExampleApp>;

const LIFETIME = 3;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

for (const mode of ['bearer', 'cookie'] as const) {
  test(`browser, ${mode} mode: the first refresh answer is lost after Keymint spent the token; the SDK's retry inside the grace gets the successor, the session lives on, no reuse is recorded`, async () => {
    const server = await startTestServer();
    const { keymint } = server.server;
    const tenant = await keymint.tenants.get('default');
    const { startExampleApp } = (await import(new URL('../../../../examples/end-users/server.mjs', import.meta.url).href)) as { startExampleApp: StartExampleApp };
    const app = await startExampleApp({ issuer: server.issuer, appId: tenant.appId, mode, port: 0, revocationPollMs: 200 });
    await keymint.users.updateSettings('default', { tokenMode: mode, allowedOrigins: [app.url], accessTokenLifetime: LIFETIME });
    const { browser, close } = await launchBrowser();
    try {
      const context = await browser.newContext();
      const page = await context.newPage();
      await page.goto(app.url);
      await page.waitForFunction(() => (globalThis as any).keymint !== undefined);
      await page.evaluate(() => (globalThis as any).keymint.signUp({ email: 'lossy@example.com', password: 'lossy-password' }).then(() => undefined));
      const user = await keymint.users.userByEmail(tenant.id, 'lossy@example.com');
      const [session] = await keymint.users.sessions.list(tenant.id, user.id);

      let discarded = 0;
      let refreshes = 0;
      await page.route('**/auth/refresh', async (route) => {
        refreshes++;
        if (discarded > 0) return route.continue();
        // Sent from here, not through the browser, so that not even its Set-Cookie reaches the page.
        const request = route.request();
        const response = await fetch(request.url(), { method: 'POST', headers: await request.allHeaders(), body: request.postData() ?? undefined });
        assert.equal(response.status, 200, 'Keymint has processed it: the token is spent');
        discarded++;
        return route.abort('connectionreset');
      });
      await sleep(LIFETIME * 1000 + 300);
      const me = await page.evaluate(async () => {
        const response: Response = await (globalThis as any).keymint.fetch('/api/me');
        return response.status;
      });
      assert.equal(me, 200);
      assert.equal(discarded, 1);
      assert.equal(refreshes, 2, 'one lost answer, one retry');
      assert.equal((await refreshState(keymint.db, session!.id)).rotations, 1, 'one chain: spent once, the retry answered with the same successor');
      assert.equal((await keymint.users.liveSessions(tenant, user.id)).length, 1, 'the session lives on');
      assert.ok(!(await keymint.audit.list(tenant.id)).some((e) => e.action === 'user.refresh_token_reused'));
      const types = await page.evaluate(() => (globalThis as any).authEvents.map((e: { type: string }) => e.type));
      assert.deepEqual(types, ['SIGNED_IN', 'TOKEN_REFRESHED']);
    } finally {
      await close();
      await app.close();
      await server.close();
    }
  });
}
