import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import { verifyWebhook } from '@keymint/sdk/node';
import { CONSOLE_DIST } from '../admin/console.js';
import { createAdmin, signInToConsole } from '../admin/testing.js';
import { launchBrowser } from '../testing/browser.js';
import { startTestServer } from '../testing/harness.js';
import { within } from '../testing/wait.js';
import { startWebhookReceiver } from '../testing/webhook-receiver.js';

test('Console Webhooks page: create a webhook, its secret shown once verifies the deliveries, the delivery log shows app.created delivered', { timeout: 180_000 }, async () => {
  assert.ok(existsSync(`${CONSOLE_DIST}index.html`), 'the console is built by `npm run build` (npm test runs it)');
  const receiver = await startWebhookReceiver();
  const server = await startTestServer({ env: { KEYMINT_WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true' } });
  const { browser, close } = await launchBrowser();
  try {
    const { email, password } = await createAdmin(server, 'owner@example.com');
    const page = await (await browser.newContext({ viewport: { width: 1280, height: 860 } })).newPage();
    const problems: string[] = [];
    page.on('pageerror', (error) => problems.push(error.message));
    await signInToConsole(page, server, { email, password });

    await page.getByRole('link', { name: 'Webhooks' }).click();
    await page.getByRole('heading', { name: 'Webhooks', level: 1 }).waitFor();
    await page.getByRole('button', { name: 'Create webhook' }).click();
    const create = page.getByRole('dialog', { name: 'Create webhook' });
    await create.getByLabel('URL').fill(receiver.url);
    await create.getByLabel(/^Events/).fill('app.*');
    await create.getByRole('button', { name: 'Create webhook' }).click();
    const dialog = page.getByRole('dialog', { name: 'Webhook signing secret' });
    await dialog.getByText('this is the only time it can be shown').waitFor();
    const secret = await dialog.locator('#secret-value').inputValue();
    assert.match(secret, /^whsec_/);
    await dialog.getByRole('button', { name: 'Close' }).first().click();

    const app = await server.createApp();
    await within(15_000, 'the delivery', async () => receiver.received.length >= 1);
    const [delivery] = receiver.received;
    const event = verifyWebhook({ secret, headers: delivery!.headers, body: delivery!.body });
    assert.equal(event.data.target, app.clientId);

    await page.getByRole('button', { name: `Delivery log of ${receiver.url}` }).click();
    const log = page.getByRole('region', { name: 'Delivery log' });
    await within(15_000, 'the log shows it delivered', async () => {
      await log.getByRole('button', { name: 'Refresh' }).click();
      return (await log.getByRole('row').filter({ hasText: event.id }).filter({ hasText: 'delivered' }).count()) === 1;
    });
    assert.deepEqual(problems, []);
  } finally {
    await close();
    await server.close();
    await receiver.close();
  }
});
