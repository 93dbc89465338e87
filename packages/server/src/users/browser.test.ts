import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { test } from 'node:test';
import { launchBrowser } from '../testing/browser.js';
import { startTestServer } from '../testing/harness.js';
import { exampleApp } from '../testing/end-users.js';

/**
 * The whole end-user path in a real browser (headless Chromium): the example app's page signs in
 * with @keymint/sdk/browser, its backend verifies tokens with @keymint/sdk/node, Keymint issues,
 * refreshes and revokes. Every scenario runs in bearer and in cookie mode.
 */

const LIFETIME = 3;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

for (const mode of ['bearer', 'cookie'] as const) {
  test(`browser, ${mode} mode: sign in and call /api/me; the token expires and getAccessToken refreshes unseen; a revoked session signs the user out with an event; a form from another origin is refused`, async () => {
    const server = await startTestServer();
    const { keymint } = server.server;
    const tenant = await keymint.tenants.get('default');
    const app = await (await exampleApp())({ issuer: server.issuer, appId: tenant.appId, mode, port: 0, revocationPollMs: 200 });
    await keymint.users.updateSettings('default', { tokenMode: mode, allowedOrigins: [app.url], accessTokenLifetime: LIFETIME });
    const { browser, close } = await launchBrowser();
    // A second origin on another loopback port: a page that posts a plain HTML form to Keymint.
    const evil = createServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'text/html' });
      response.end(`<form method="POST" action="${server.issuer}/auth/signout"><input name="x" value="1"></form><script>document.forms[0].submit()</script>`);
    });
    await new Promise<void>((resolve) => evil.listen(0, '127.0.0.1', resolve));
    const evilUrl = `http://127.0.0.1:${(evil.address() as { port: number }).port}/`;
    try {
      const context = await browser.newContext();
      const page = await context.newPage();
      const pageErrors: string[] = [];
      page.on('pageerror', (error) => pageErrors.push(error.message));
      await page.goto(app.url);
      await page.waitForFunction(() => (globalThis as any).keymint !== undefined);

      // Sign in (sign-up signs in) and call the backend.
      const user = await page.evaluate(() => (globalThis as any).keymint.signUp({ email: 'pat@example.com', password: 'pat-password' }));
      const callMe = (): Promise<{ status: number; body: any }> => page.evaluate(async () => {
        const response: Response = await (globalThis as any).keymint.fetch('/api/me');
        return { status: response.status, body: await response.json() };
      });
      const first = await callMe();
      assert.equal(first.status, 200);
      assert.equal(first.body.user_id, user.id);
      const stored = await page.evaluate(() => JSON.stringify((globalThis as any).localStorage));
      if (mode === 'bearer') {
        const kept = JSON.parse(Object.values(JSON.parse(stored) as Record<string, string>)[0]!);
        assert.match(kept.accessToken, /^ey/, 'bearer mode keeps tokens in localStorage by default');
        assert.match(kept.refreshToken, /^kmr_/);
      } else {
        assert.doesNotMatch(stored, /accessToken|refreshToken|kmr_/, 'cookie mode: no token within reach of page scripts');
        assert.equal(await page.evaluate(() => (globalThis as any).document.cookie), '', 'the cookies are HttpOnly');
        assert.equal((await context.cookies()).filter((c) => c.name.startsWith('keymint_')).length, 2);
      }
      const tokenBefore = await page.evaluate(() => (globalThis as any).keymint.getAccessToken());

      // The access token expires; the next call just works (refreshed ahead of use).
      await sleep(LIFETIME * 1000 + 500);
      const second = await callMe();
      assert.equal(second.status, 200);
      assert.equal(second.body.session_id, first.body.session_id, 'same session, new token');
      assert.ok(second.body.token_expires_at > first.body.token_expires_at);
      if (mode === 'bearer') assert.notEqual(await page.evaluate(() => (globalThis as any).keymint.getAccessToken()), tokenBefore);
      const events = await page.evaluate(() => (globalThis as any).authEvents.map((e: { type: string }) => e.type));
      assert.deepEqual(events, ['SIGNED_IN', 'TOKEN_REFRESHED']);

      // getAccessToken: one refresh in flight however many callers.
      await sleep(LIFETIME * 1000);
      await page.evaluate(() => Promise.all(Array.from({ length: 5 }, () => (globalThis as any).keymint.getAccessToken())));
      assert.deepEqual(await page.evaluate(() => (globalThis as any).authEvents.map((e: { type: string }) => e.type)), ['SIGNED_IN', 'TOKEN_REFRESHED', 'TOKEN_REFRESHED']);
      assert.equal((await callMe()).status, 200);

      if (mode === 'cookie') {
        // A form posted from another origin: the browser sends the cookies (same site: ports do not
        // count), Keymint refuses it (Origin not allowed, no CSRF header), the session lives on.
        const attacker = await context.newPage();
        const [answer] = await Promise.all([
          attacker.waitForResponse((response) => response.url().endsWith('/auth/signout')),
          attacker.goto(evilUrl),
        ]);
        assert.equal(answer.status(), 403);
        assert.equal((await answer.json()).error, 'forbidden');
        await attacker.close();
        assert.equal((await callMe()).status, 200, 'still signed in');
      }

      // An admin revokes the user's sessions: the backend refuses the token (revocation feed), the
      // client's refresh is refused, and the page is told the user is signed out.
      assert.equal(await keymint.users.revokeUserSessions(tenant.id, user.id, { actor: 'admin', actorId: 'test' }), 1);
      await sleep(600);
      const third = await callMe();
      assert.equal(third.status, 401);
      // invalid_token when the revoked access token was sent; no error code (RFC 6750 §3.1) when the
      // SDK's refresh was refused first (a slow machine: the access cookie looked due) and nothing was left to send.
      assert.ok(third.body.error === 'invalid_token' || third.body.error === undefined, JSON.stringify(third.body));
      const last = await page.evaluate(() => (globalThis as any).authEvents.at(-1));
      assert.deepEqual(last, { type: 'SIGNED_OUT', reason: 'refresh_failed', user: null });
      assert.equal(await page.evaluate(() => (globalThis as any).keymint.getUser()), null);
      assert.equal(await page.evaluate(() => (globalThis as any).keymint.getAccessToken()), null);
      assert.deepEqual(pageErrors, []);

      // Signing in again and signing out revokes at Keymint.
      await page.evaluate(() => (globalThis as any).keymint.signIn({ email: 'pat@example.com', password: 'pat-password' }));
      assert.equal((await callMe()).status, 200);
      await page.evaluate(() => (globalThis as any).keymint.signOut());
      const sessions = await keymint.users.sessions.list(tenant.id, user.id);
      assert.ok(sessions.every((s) => s.revokedAt !== null), 'every session revoked');
      assert.deepEqual(await page.evaluate(() => (globalThis as any).authEvents.at(-1)), { type: 'SIGNED_OUT', reason: 'user', user: null });
    } finally {
      await close();
      evil.closeAllConnections();
      await new Promise((resolve) => evil.close(resolve));
      await app.close();
      await server.close();
    }
  });
}
