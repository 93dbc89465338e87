import { useState } from 'preact/hooks';
import { ago, api, when } from '../api';
import type * as C from '../contract';
import { Badge, Dialog, Empty, ErrorNote, SecretDialog, useAction, useLoad } from '../ui';
import type { PageProps } from './common';

/** The delivery log of one webhook: status, attempts, last answer or error, timing. */
function Deliveries({ tenant, webhook }: { tenant: string; webhook: string }) {
  const log = useLoad(() => api<C.WebhookDeliveryList>('GET', `/tenants/${tenant}/webhooks/${webhook}/deliveries`), [tenant, webhook]);
  return (
    <section aria-label="Delivery log">
      <div class="page-head">
        <h2>Delivery log</h2>
        <button type="button" class="small" onClick={() => log.reload()}>Refresh</button>
      </div>
      <ErrorNote error={log.error} />
      {log.data && log.data.deliveries.length === 0 ? <Empty>No deliveries yet.</Empty> : null}
      {log.data && log.data.deliveries.length > 0 ? (
        <div class="table-wrap">
          <table>
            <thead><tr><th scope="col">Event</th><th scope="col">webhook-id</th><th scope="col">Status</th><th scope="col">Attempts</th><th scope="col">Last answer</th><th scope="col">Took</th><th scope="col">Next attempt</th><th scope="col">Created</th></tr></thead>
            <tbody>
              {log.data.deliveries.map((d) => (
                <tr key={d.id}>
                  <td><code>{d.event_type}</code></td>
                  <td><code>{d.id}</code></td>
                  <td><Badge value={d.status} /></td>
                  <td>{d.attempts}</td>
                  <td>{d.last_error ?? (d.last_status === null ? '—' : `HTTP ${d.last_status}`)}</td>
                  <td>{d.last_duration_ms === null ? '—' : `${d.last_duration_ms} ms`}</td>
                  <td>{d.next_attempt_at ? when(d.next_attempt_at) : '—'}</td>
                  <td>{ago(d.created_at)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </section>
  );
}

/** Webhooks: create (secret shown once), list, rotate the secret, delete; each one's delivery log. */
export function WebhooksPage({ tenant, canWrite }: PageProps) {
  const hooks = useLoad(() => api<C.WebhookList>('GET', `/tenants/${tenant}/webhooks`), [tenant]);
  const [creating, setCreating] = useState(false);
  const [url, setUrl] = useState('');
  const [events, setEvents] = useState('');
  const [shown, setShown] = useState<string | null>(null);
  const [selected, setSelected] = useState<string | null>(null);
  const [error, run] = useAction();
  const list = hooks.data?.webhooks ?? [];
  return (
    <section aria-labelledby="page-title">
      <div class="page-head">
        <h1 id="page-title">Webhooks</h1>
        {canWrite ? <button type="button" class="primary" onClick={() => setCreating(true)}>Create webhook</button> : null}
      </div>
      <p class="lead">Every audited change, pushed as a signed event (Standard Webhooks: <code>webhook-id</code>, <code>webhook-timestamp</code>, <code>webhook-signature</code>).</p>
      <ErrorNote error={hooks.error ?? (creating ? null : error)} />
      {hooks.data && list.length === 0 ? <Empty>No webhooks.</Empty> : null}
      {list.length > 0 ? (
        <div class="table-wrap">
          <table>
            <thead><tr><th scope="col">URL</th><th scope="col">Events</th><th scope="col">Created</th><th scope="col"><span class="sr-only">Actions</span></th></tr></thead>
            <tbody>
              {list.map((w) => (
                <tr key={w.id}>
                  <td><code>{w.url}</code></td>
                  <td>{w.events.length === 0 ? 'all' : w.events.map((e: string) => <code class="chip" key={e}>{e}</code>)}</td>
                  <td>{ago(w.created_at)}</td>
                  <td>
                    <button type="button" class="small" aria-label={`Delivery log of ${w.url}`} onClick={() => setSelected(selected === w.id ? null : w.id)}>Deliveries</button>
                    {canWrite ? <button type="button" class="small" aria-label={`Rotate the secret of ${w.url}`} onClick={() => run(async () => { const rotated = await api<C.NewWebhook>('POST', `/tenants/${tenant}/webhooks/${w.id}/rotate-secret`); setShown(rotated.secret); hooks.reload(); })}>Rotate secret</button> : null}
                    {canWrite ? <button type="button" class="small danger" aria-label={`Delete webhook ${w.url}`} onClick={() => run(async () => { await api<C.Webhook>('DELETE', `/tenants/${tenant}/webhooks/${w.id}`); if (selected === w.id) setSelected(null); hooks.reload(); })}>Delete</button> : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      {selected ? <Deliveries tenant={tenant} webhook={selected} /> : null}
      <Dialog id="create-webhook" title="Create webhook" open={creating} onClose={() => setCreating(false)}>
        <form onSubmit={(e) => { e.preventDefault(); return run(async () => {
          const list = events.split(',').map((s) => s.trim()).filter(Boolean);
          const created = await api<C.NewWebhook>('POST', `/tenants/${tenant}/webhooks`, { url, ...(list.length > 0 ? { events: list } : {}) });
          setCreating(false); setUrl(''); setEvents(''); setShown(created.secret); hooks.reload();
        }); }}>
          <label for="webhook-url">URL</label>
          <input id="webhook-url" type="url" required maxLength={2048} value={url} onInput={(e) => setUrl((e.currentTarget as HTMLInputElement).value)} placeholder="https://hooks.example.com/keymint" />
          <label for="webhook-events">Events (comma-separated, e.g. <code>app.*, api_token.revoked</code>; empty: all)</label>
          <input id="webhook-events" value={events} onInput={(e) => setEvents((e.currentTarget as HTMLInputElement).value)} />
          <ErrorNote error={error} />
          <div class="actions"><button type="button" onClick={() => setCreating(false)}>Cancel</button><button type="submit" class="primary">Create webhook</button></div>
        </form>
      </Dialog>
      <SecretDialog title="Webhook signing secret" label="Secret" value={shown} onClose={() => setShown(null)}
        warning={<><strong>Copy it now.</strong> Keymint keeps it sealed for signing and never shows it again: this is the only time it can be shown.</>} />
    </section>
  );
}
