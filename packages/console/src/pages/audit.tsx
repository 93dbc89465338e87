import { useState } from 'preact/hooks';
import { api, when } from '../api';
import type * as C from '../contract';
import { Empty, ErrorNote, useLoad } from '../ui';
import type { PageProps } from './common';

/** The audit log with filters. */
export function AuditPage({ tenant }: PageProps) {
  const [filters, setFilters] = useState({ actor: '', action: '', app: '', since: '', until: '' });
  const [applied, setApplied] = useState(filters);
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(applied)) if (value) query.set(key, key === 'since' || key === 'until' ? new Date(value).toISOString() : value);
  const entries = useLoad(() => api<C.AuditList>('GET', `/tenants/${tenant}/audit?${query}`), [tenant, query.toString()]);
  const field = (key: keyof typeof filters) => ({ value: filters[key], onInput: (e: Event) => setFilters({ ...filters, [key]: (e.currentTarget as HTMLInputElement).value }) });
  return (
    <section aria-labelledby="page-title">
      <h1 id="page-title">Audit log</h1>
      <form class="filters" onSubmit={(e) => { e.preventDefault(); setApplied(filters); }}>
        <div><label for="f-actor">Actor</label>
          <select id="f-actor" value={filters.actor} onChange={(e) => setFilters({ ...filters, actor: (e.currentTarget as HTMLSelectElement).value })}>
            <option value="">any</option><option value="admin">admin</option><option value="cli">cli</option><option value="system">system</option><option value="client">client</option>
          </select></div>
        <div><label for="f-action">Action</label><input id="f-action" placeholder="app.created" {...field('action')} /></div>
        <div><label for="f-app">App (client_id)</label><input id="f-app" {...field('app')} /></div>
        <div><label for="f-since">From</label><input id="f-since" type="datetime-local" {...field('since')} /></div>
        <div><label for="f-until">Until</label><input id="f-until" type="datetime-local" {...field('until')} /></div>
        <div class="filter-submit"><button type="submit" class="primary">Filter</button></div>
      </form>
      <ErrorNote error={entries.error} />
      {entries.data && entries.data.entries.length === 0 ? <Empty>No entries match.</Empty> : null}
      {entries.data && entries.data.entries.length > 0 ? (
        <div class="table-wrap">
          <table>
            <thead><tr><th scope="col">When</th><th scope="col">Action</th><th scope="col">Target</th><th scope="col">Actor</th><th scope="col">IP</th></tr></thead>
            <tbody>
              {entries.data.entries.map((e) => (
                <tr key={e.id}>
                  <td>{when(e.created_at)}</td>
                  <td><code>{e.action}</code></td>
                  <td>{e.target ? <code>{e.target}</code> : '—'}</td>
                  <td>{e.actor}{e.actor_id ? <small> {e.actor_id}</small> : null}</td>
                  <td>{e.ip ?? '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </section>
  );
}
