import type { Command } from 'commander';
import { list } from './args.js';
import { CLI, withKeymint, type GlobalOptions } from './context.js';
import { print, table } from './output.js';
import { newWebhookView, webhookDeliveryView, webhookView } from '@keymint/server';

/** `keymint webhook …`: signed webhooks of a tenant (docs/webhooks.md). */
export function registerWebhookCommands(program: Command, globals: () => GlobalOptions): void {
  const webhook = program.command('webhook').description('signed webhooks: every audited change pushed to a URL (Standard Webhooks)');
  const secretNote = 'Copy the secret now: receivers verify signatures with it and Keymint cannot show it again.';
  webhook
    .command('create')
    .description('create a webhook (its whsec_ secret shown once)')
    .requiredOption('--url <url>', 'https:// URL to POST events to')
    .option('--events <list>', 'comma-separated event types or families such as app.* (default: every event)', list)
    .action((options: { url: string; events?: string[] }) =>
      withKeymint(globals(), async ({ keymint, tenant: current }) => {
        const view = newWebhookView(await keymint.webhooks.create(current.id, { url: options.url, events: options.events }, CLI));
        print(globals().json, view, () =>
          `created webhook ${view.id}\n  url      ${view.webhook.url}\n  events   ${view.webhook.events.join(' ') || '(all)'}\n  secret   ${view.secret}\n\n${secretNote}`);
      }),
    );
  webhook
    .command('list')
    .description('list webhooks (never their secrets)')
    .action(() =>
      withKeymint(globals(), async ({ keymint, tenant: current }) => {
        const webhooks = (await keymint.webhooks.list(current.id)).map(webhookView);
        print(globals().json, { webhooks }, () =>
          table([['ID', 'URL', 'EVENTS', 'CREATED'], ...webhooks.map((w) => [w.id, w.url, w.events.join(' ') || '(all)', w.created_at])]));
      }),
    );
  webhook
    .command('delete <id>')
    .description('delete a webhook and its delivery log; pending deliveries are dropped')
    .action((id: string) =>
      withKeymint(globals(), async ({ keymint, tenant: current }) => {
        const view = webhookView(await keymint.webhooks.delete(current.id, id, CLI));
        print(globals().json, view, () => `deleted webhook ${view.id} (${view.url})`);
      }),
    );
  webhook
    .command('rotate-secret <id>')
    .description('a new signing secret (shown once); the previous one adds a second signature for 24 hours')
    .action((id: string) =>
      withKeymint(globals(), async ({ keymint, tenant: current }) => {
        const view = newWebhookView(await keymint.webhooks.rotateSecret(current.id, id, CLI));
        print(globals().json, view, () => `new secret for webhook ${view.id}\n  secret   ${view.secret}\n  old secret also signs until ${view.webhook.previous_secret_expires_at}\n\n${secretNote}`);
      }),
    );
  webhook
    .command('deliveries <id>')
    .description('the delivery log of a webhook, newest first')
    .action((id: string) =>
      withKeymint(globals(), async ({ keymint, tenant: current }) => {
        const deliveries = (await keymint.webhooks.deliveries(current.id, id)).map(webhookDeliveryView);
        print(globals().json, { deliveries }, () =>
          table([['WEBHOOK-ID', 'EVENT', 'STATUS', 'ATTEMPTS', 'LAST', 'ERROR', 'CREATED'],
            ...deliveries.map((d) => [d.id, d.event_type, d.status, String(d.attempts), d.last_status === null ? '-' : String(d.last_status), d.last_error ?? '', d.created_at])]));
      }),
    );
}
