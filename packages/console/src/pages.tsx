import { useEffect, useRef, useState } from 'preact/hooks';
import { ago, api, when } from './api';
import type * as C from './contract';
import { Badge, Dialog, Empty, ErrorNote, SecretDialog, useAction, useLoad } from './ui';

export interface PageProps {
  tenant: string;
  canWrite: boolean;
  navigate: (path: string) => void;
}

const EXPIRIES: [string, string][] = [['', 'Never'], ['7d', '7 days'], ['30d', '30 days'], ['90d', '90 days'], ['365d', '1 year']];
const AUTH_METHODS = ['client_secret_basic', 'client_secret_post', 'signed_request'];

function ScopePicker(props: { scopes: { name: string; description: string }[]; selected: string[]; onChange: (s: string[]) => void; idPrefix: string }) {
  return (
    <fieldset>
      <legend>Scopes</legend>
      {props.scopes.length === 0 ? <Empty>The catalog has no scopes.</Empty> : null}
      {props.scopes.map((scope) => (
        <label class="check" key={scope.name}>
          <input
            type="checkbox"
            id={`${props.idPrefix}-${scope.name}`}
            name="scopes"
            value={scope.name}
            checked={props.selected.includes(scope.name)}
            onChange={(e) => props.onChange((e.currentTarget as HTMLInputElement).checked ? [...props.selected, scope.name] : props.selected.filter((s) => s !== scope.name))}
          />
          <span><code>{scope.name}</code> <small>{scope.description}</small></span>
        </label>
      ))}
    </fieldset>
  );
}

/** Settings > Apps: list and create. */
export function AppsPage({ tenant, canWrite, navigate }: PageProps) {
  const apps = useLoad(() => api<C.AppList>('GET', `/tenants/${tenant}/apps`), [tenant]);
  const catalog = useLoad(() => api<C.ScopeList>('GET', `/tenants/${tenant}/scopes`), [tenant]);
  const [creating, setCreating] = useState(false);
  const [name, setName] = useState('');
  const [scopes, setScopes] = useState<string[]>([]);
  const [lifetime, setLifetime] = useState('');
  const [secret, setSecret] = useState<{ value: string; clientId: string } | null>(null);
  const [error, run] = useAction();

  const create = (event: Event) => {
    event.preventDefault();
    return run(async () => {
      const created = await api<C.CreatedApp>('POST', `/tenants/${tenant}/apps`, { name, scopes, ...(lifetime ? { token_lifetime: Number(lifetime) } : {}) });
      setCreating(false);
      setName('');
      setScopes([]);
      setLifetime('');
      setSecret({ value: created.secret.client_secret, clientId: created.app.client_id });
      apps.reload();
    });
  };

  return (
    <section aria-labelledby="page-title">
      <div class="page-head">
        <h1 id="page-title">Apps</h1>
        {canWrite ? <button type="button" class="primary" onClick={() => setCreating(true)}>Create app</button> : null}
      </div>
      <p class="lead">OAuth clients: each trades its client_id and secret for short-lived access tokens at <code>/t/{tenant}/oauth/token</code>.</p>
      <ErrorNote error={apps.error} />
      {apps.data && apps.data.apps.length === 0 ? <Empty>No apps yet. Create one to get a client secret.</Empty> : null}
      {apps.data && apps.data.apps.length > 0 ? (
        <div class="table-wrap">
          <table>
            <thead><tr><th scope="col">Name</th><th scope="col">Client ID</th><th scope="col">Scopes</th><th scope="col">Lifetime</th><th scope="col">Status</th><th scope="col">Created</th></tr></thead>
            <tbody>
              {apps.data.apps.map((app) => (
                <tr key={app.client_id}>
                  <td><a href={`/console/t/${tenant}/apps/${app.client_id}`} onClick={(e) => { e.preventDefault(); navigate(`/t/${tenant}/apps/${app.client_id}`); }}>{app.name}</a></td>
                  <td><code>{app.client_id}</code></td>
                  <td>{app.scopes.length ? app.scopes.map((s: string) => <code class="chip" key={s}>{s}</code>) : <small>none</small>}</td>
                  <td>{app.token_lifetime ? `${app.token_lifetime} s` : <small>default</small>}</td>
                  <td><Badge value={app.status} /></td>
                  <td>{when(app.created_at)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}

      <Dialog id="create-app" title="Create app" open={creating} onClose={() => setCreating(false)}>
        <form onSubmit={create}>
          <label for="app-name">Name</label>
          <input id="app-name" required maxLength={200} value={name} onInput={(e) => setName((e.currentTarget as HTMLInputElement).value)} placeholder="billing-sync" />
          <ScopePicker idPrefix="new-scope" scopes={catalog.data?.scopes ?? []} selected={scopes} onChange={setScopes} />
          <label for="app-lifetime">Token lifetime (seconds, 60–86400; empty: tenant default)</label>
          <input id="app-lifetime" type="number" min={60} max={86400} value={lifetime} onInput={(e) => setLifetime((e.currentTarget as HTMLInputElement).value)} />
          <ErrorNote error={error} />
          <div class="actions"><button type="button" onClick={() => setCreating(false)}>Cancel</button><button type="submit" class="primary">Create app</button></div>
        </form>
      </Dialog>
      <SecretDialog
        title="App created"
        label="Client secret"
        value={secret?.value ?? null}
        extra={secret ? <p>client_id <code id="new-client-id">{secret.clientId}</code></p> : null}
        onClose={() => setSecret(null)}
      />
    </section>
  );
}

/** One app: settings, secrets (add with expiry, regenerate, revoke), disable. */
export function AppPage({ tenant, canWrite, navigate, clientId }: PageProps & { clientId: string }) {
  const app = useLoad(() => api<C.App>('GET', `/tenants/${tenant}/apps/${clientId}`), [tenant, clientId]);
  const secrets = useLoad(() => api<C.SecretList>('GET', `/tenants/${tenant}/apps/${clientId}/secrets`), [tenant, clientId]);
  const catalog = useLoad(() => api<C.ScopeList>('GET', `/tenants/${tenant}/scopes`), [tenant]);
  const [shown, setShown] = useState<string | null>(null);
  const [expiry, setExpiry] = useState('');
  const [edit, setEdit] = useState<{ scopes: string[]; lifetime: string; audiences: string; methods: string[] } | null>(null);
  const [confirm, setConfirm] = useState<'regenerate' | 'disable' | null>(null);
  const [error, run] = useAction();
  const reload = () => { app.reload(); secrets.reload(); };
  if (!app.data) return <section><ErrorNote error={app.error} /></section>;
  const a = app.data;

  const save = (event: Event) => {
    event.preventDefault();
    return run(async () => {
      await api<C.UpdatedApp>('PATCH', `/tenants/${tenant}/apps/${clientId}`, {
        scopes: edit!.scopes,
        token_lifetime: edit!.lifetime ? Number(edit!.lifetime) : null,
        audiences: edit!.audiences.split(/[\s,]+/).filter(Boolean),
        auth_methods: edit!.methods,
      });
      setEdit(null);
      reload();
    });
  };

  return (
    <section aria-labelledby="page-title">
      <p><a href={`/console/t/${tenant}/apps`} onClick={(e) => { e.preventDefault(); navigate(`/t/${tenant}/apps`); }}>← Apps</a></p>
      <div class="page-head">
        <h1 id="page-title">{a.name} <Badge value={a.status} /></h1>
        {canWrite && a.status === 'active' ? (
          <div class="button-row">
            <button type="button" onClick={() => setEdit({ scopes: a.scopes, lifetime: a.token_lifetime ? String(a.token_lifetime) : '', audiences: a.audiences.join('\n'), methods: a.auth_methods })}>Edit</button>
            <button type="button" class="danger" onClick={() => setConfirm('disable')}>Disable app</button>
          </div>
        ) : null}
      </div>
      <ErrorNote error={error} />
      <dl class="facts">
        <dt>Client ID</dt><dd><code>{a.client_id}</code></dd>
        <dt>Scopes</dt><dd>{a.scopes.length ? a.scopes.map((s: string) => <code class="chip" key={s}>{s}</code>) : 'none'}</dd>
        <dt>Token lifetime</dt><dd>{a.token_lifetime ? `${a.token_lifetime} s` : 'tenant default'}</dd>
        <dt>Audiences</dt><dd>{['default (issuer/api)', ...a.audiences].join(', ')}</dd>
        <dt>Auth methods</dt><dd>{a.auth_methods.join(', ')}</dd>
        <dt>Format</dt><dd>{a.token_format}</dd>
      </dl>

      <div class="page-head">
        <h2>Client secrets</h2>
        {canWrite && a.status === 'active' ? (
          <div class="button-row">
            <label for="secret-expiry" class="inline">Expires</label>
            <select id="secret-expiry" value={expiry} onChange={(e) => setExpiry((e.currentTarget as HTMLSelectElement).value)}>
              {EXPIRIES.map(([value, label]) => <option value={value} key={value}>{label}</option>)}
            </select>
            <button type="button" onClick={() => run(async () => {
              const created = await api<C.NewSecret>('POST', `/tenants/${tenant}/apps/${clientId}/secrets`, expiry ? { expires_in: expiry } : {});
              setShown(created.client_secret);
              secrets.reload();
            })}>Add secret</button>
            <button type="button" class="primary" onClick={() => setConfirm('regenerate')}>Regenerate</button>
          </div>
        ) : null}
      </div>
      <p class="lead">Up to five active secrets, so you can rotate without downtime: add a second one, deploy it, then revoke the first.</p>
      <div class="table-wrap">
        <table>
          <thead><tr><th scope="col">Secret</th><th scope="col">Status</th><th scope="col">Created</th><th scope="col">Expires</th><th scope="col">Last used</th><th scope="col"><span class="sr-only">Actions</span></th></tr></thead>
          <tbody>
            {(secrets.data?.secrets ?? []).map((s) => (
              <tr key={s.id}>
                <td><code>{s.hint}…</code></td>
                <td><Badge value={s.status} /></td>
                <td>{when(s.created_at)}</td>
                <td>{s.expires_at ? when(s.expires_at) : 'never'}</td>
                <td>{ago(s.last_used_at)}</td>
                <td>{canWrite && s.status === 'active' ? <button type="button" class="small danger" aria-label={`Revoke secret ${s.hint}`} onClick={() => run(async () => { await api<C.SecretList['secrets'][number]>('DELETE', `/tenants/${tenant}/apps/${clientId}/secrets/${s.id}`); secrets.reload(); })}>Revoke</button> : null}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>

      <Dialog id="confirm" title={confirm === 'disable' ? 'Disable this app?' : 'Regenerate the secret?'} open={confirm !== null} onClose={() => setConfirm(null)}>
        <p>{confirm === 'disable'
          ? 'The app can no longer get tokens and every token it holds stops working. This cannot be undone.'
          : 'A new secret is created and every current secret is revoked at once: running integrations fail until they use the new one.'}</p>
        <div class="actions">
          <button type="button" onClick={() => setConfirm(null)}>Cancel</button>
          <button type="button" class="danger" onClick={() => run(async () => {
            if (confirm === 'disable') await api<C.App>('POST', `/tenants/${tenant}/apps/${clientId}/disable`);
            else setShown((await api<C.Regenerated>('POST', `/tenants/${tenant}/apps/${clientId}/secrets/regenerate`, {})).secret.client_secret);
            setConfirm(null);
            reload();
          })}>{confirm === 'disable' ? 'Disable app' : 'Regenerate'}</button>
        </div>
      </Dialog>

      <Dialog id="edit-app" title="Edit app" open={edit !== null} onClose={() => setEdit(null)}>
        {edit ? (
          <form onSubmit={save}>
            <ScopePicker idPrefix="edit-scope" scopes={catalog.data?.scopes ?? []} selected={edit.scopes} onChange={(scopes) => setEdit({ ...edit, scopes })} />
            <label for="edit-lifetime">Token lifetime (seconds, 60–86400; empty: tenant default)</label>
            <input id="edit-lifetime" type="number" min={60} max={86400} value={edit.lifetime} onInput={(e) => setEdit({ ...edit, lifetime: (e.currentTarget as HTMLInputElement).value })} />
            <label for="edit-audiences">Extra audiences (one per line)</label>
            <textarea id="edit-audiences" rows={3} value={edit.audiences} onInput={(e) => setEdit({ ...edit, audiences: (e.currentTarget as HTMLTextAreaElement).value })} />
            <fieldset>
              <legend>Client authentication</legend>
              {AUTH_METHODS.map((m) => (
                <label class="check" key={m}>
                  <input type="checkbox" checked={edit.methods.includes(m)} onChange={(e) => setEdit({ ...edit, methods: (e.currentTarget as HTMLInputElement).checked ? [...edit.methods, m] : edit.methods.filter((x) => x !== m) })} />
                  <code>{m}</code>
                </label>
              ))}
            </fieldset>
            <ErrorNote error={error} />
            <div class="actions"><button type="button" onClick={() => setEdit(null)}>Cancel</button><button type="submit" class="primary">Save</button></div>
          </form>
        ) : null}
      </Dialog>
      <SecretDialog title="New client secret" label="Client secret" value={shown} onClose={() => setShown(null)} />
    </section>
  );
}

/** API tokens: create (shown once), list with last use, revoke. */
export function ApiTokensPage({ tenant, canWrite }: PageProps) {
  const tokens = useLoad(() => api<C.ApiTokenList>('GET', `/tenants/${tenant}/api-tokens`), [tenant]);
  const catalog = useLoad(() => api<C.ScopeList>('GET', `/tenants/${tenant}/scopes`), [tenant]);
  const [creating, setCreating] = useState(false);
  const [name, setName] = useState('');
  const [scopes, setScopes] = useState<string[]>([]);
  const [expiry, setExpiry] = useState('90d');
  const [shown, setShown] = useState<string | null>(null);
  const [error, run] = useAction();
  return (
    <section aria-labelledby="page-title">
      <div class="page-head">
        <h1 id="page-title">API tokens</h1>
        {canWrite ? <button type="button" class="primary" onClick={() => setCreating(true)}>Create token</button> : null}
      </div>
      <p class="lead">Long-lived Bearer tokens (<code>kmk_…</code>) for scripts and quick integrations.</p>
      <ErrorNote error={tokens.error ?? (creating ? null : error)} />
      {tokens.data && tokens.data.tokens.length === 0 ? <Empty>No API tokens.</Empty> : null}
      {tokens.data && tokens.data.tokens.length > 0 ? (
        <div class="table-wrap">
          <table>
            <thead><tr><th scope="col">Name</th><th scope="col">Token</th><th scope="col">Scopes</th><th scope="col">Status</th><th scope="col">Expires</th><th scope="col">Last used</th><th scope="col"><span class="sr-only">Actions</span></th></tr></thead>
            <tbody>
              {tokens.data.tokens.map((t) => (
                <tr key={t.id}>
                  <td>{t.name}</td>
                  <td><code>{t.hint}…</code></td>
                  <td>{t.scopes.map((s: string) => <code class="chip" key={s}>{s}</code>)}</td>
                  <td><Badge value={t.status} /></td>
                  <td>{t.expires_at ? when(t.expires_at) : 'never'}</td>
                  <td>{ago(t.last_used_at)}</td>
                  <td>{canWrite && t.status === 'active' ? <button type="button" class="small danger" aria-label={`Revoke token ${t.name}`} onClick={() => run(async () => { await api<C.ApiToken>('DELETE', `/tenants/${tenant}/api-tokens/${t.id}`); tokens.reload(); })}>Revoke</button> : null}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      <Dialog id="create-token" title="Create API token" open={creating} onClose={() => setCreating(false)}>
        <form onSubmit={(e) => { e.preventDefault(); return run(async () => {
          const created = await api<C.NewApiToken>('POST', `/tenants/${tenant}/api-tokens`, { name, scopes, ...(expiry ? { expires_in: expiry } : {}) });
          setCreating(false); setName(''); setScopes([]); setShown(created.token); tokens.reload();
        }); }}>
          <label for="token-name">Name</label>
          <input id="token-name" required maxLength={200} value={name} onInput={(e) => setName((e.currentTarget as HTMLInputElement).value)} placeholder="nightly export" />
          <ScopePicker idPrefix="token-scope" scopes={catalog.data?.scopes ?? []} selected={scopes} onChange={setScopes} />
          <label for="token-expiry">Expires</label>
          <select id="token-expiry" value={expiry} onChange={(e) => setExpiry((e.currentTarget as HTMLSelectElement).value)}>
            {EXPIRIES.map(([value, label]) => <option value={value} key={value}>{label}</option>)}
          </select>
          <ErrorNote error={error} />
          <div class="actions"><button type="button" onClick={() => setCreating(false)}>Cancel</button><button type="submit" class="primary">Create token</button></div>
        </form>
      </Dialog>
      <SecretDialog title="API token created" label="API token" value={shown} onClose={() => setShown(null)} />
    </section>
  );
}

/** Signing keys as a timeline: next → current → retired; rotate. */
export function KeysPage({ tenant, canWrite }: PageProps) {
  const keys = useLoad(() => api<C.KeyList>('GET', `/tenants/${tenant}/keys`), [tenant]);
  const [note, setNote] = useState<string | null>(null);
  const [error, run] = useAction();
  const order: Record<string, number> = { next: 0, current: 1, retired: 2 };
  const list = [...(keys.data?.keys ?? [])].sort((a, b) => order[a.state]! - order[b.state]! || Date.parse(b.created_at) - Date.parse(a.created_at));
  return (
    <section aria-labelledby="page-title">
      <div class="page-head">
        <h1 id="page-title">Signing keys</h1>
        {canWrite ? <button type="button" class="primary" onClick={() => run(async () => {
          const result = await api<C.Rotation>('POST', `/tenants/${tenant}/keys/rotate`);
          setNote(result.promoted ? `Key ${result.promoted} signs from now on; ${result.next.kid} is published as next.` : `Key ${result.next.kid} will sign from ${when(result.next.activates_at)}, once every verifier can have fetched it.`);
          keys.reload();
        })}>Rotate now</button> : null}
      </div>
      <p class="lead">Published at <a href={`/t/${tenant}/.well-known/jwks.json`}>/t/{tenant}/.well-known/jwks.json</a>. A key is published before it signs and stays published until the last token it signed has expired.</p>
      <ErrorNote error={error ?? keys.error} />
      {note ? <p class="note" role="status">{note}</p> : null}
      <ol class="timeline">
        {list.map((k) => (
          <li key={k.kid} class={`key key-${k.state}`}>
            <div class="key-state"><Badge value={k.state} /></div>
            <div>
              <p><code class="kid">{k.kid}</code> <small>{k.alg}</small></p>
              <p class="meta">
                created {when(k.created_at)}
                {k.state === 'next' && k.activated_at ? ` · signs from ${when(k.activated_at)}` : ''}
                {k.state === 'current' ? ` · signing since ${when(k.activated_at)}` : ''}
                {k.state === 'retired' ? ` · retired ${when(k.retired_at)} · removed after ${when(k.remove_after)}` : ''}
              </p>
            </div>
          </li>
        ))}
      </ol>
    </section>
  );
}

/** Tokens issued per app per hour: a stacked bar chart of the last 24 hours. */
export function UsagePage({ tenant }: PageProps) {
  const usage = useLoad(() => api<C.Usage>('GET', `/tenants/${tenant}/usage?hours=24`), [tenant]);
  const colors = ['#2563eb', '#16a34a', '#d97706', '#9333ea', '#dc2626', '#0891b2'];
  if (!usage.data) return <section><h1 id="page-title">Usage</h1><ErrorNote error={usage.error} /></section>;
  const { apps, hours, from } = usage.data as { apps: { client_id: string; name: string; counts: number[] }[]; hours: number; from: string };
  const totals = Array.from({ length: hours }, (_, i) => apps.reduce((sum, a) => sum + (a.counts[i] ?? 0), 0));
  const max = Math.max(1, ...totals);
  const width = 720;
  const height = 220;
  const left = 36;
  const bar = (width - left) / hours;
  const start = Date.parse(from);
  return (
    <section aria-labelledby="page-title">
      <h1 id="page-title">Usage</h1>
      <p class="lead">Access tokens issued per app per hour, last 24 hours ({totals.reduce((a, b) => a + b, 0)} in total).</p>
      {apps.length === 0 ? <Empty>No tokens issued in the last 24 hours.</Empty> : null}
      <figure class="chart">
        <svg viewBox={`0 0 ${width} ${height + 24}`} role="img" aria-labelledby="chart-title">
          <title id="chart-title">Tokens issued per hour, stacked by app; highest hour {max}</title>
          {[max, Math.round(max / 2)].filter((v, i, all) => v > 0 && all.indexOf(v) === i).map((v) => {
            const y = height - (v / max) * (height - 10);
            return <g key={`y${v}`}><line x1={left} y1={y} x2={width} y2={y} class="grid" /><text x={left - 6} y={y + 4} class="ytick">{v}</text></g>;
          })}
          <line x1={left} y1={height} x2={width} y2={height} class="axis" />
          {totals.map((_, i) => {
            let y = height;
            return apps.map((a, j) => {
              const value = a.counts[i] ?? 0;
              const h = (value / max) * (height - 10);
              y -= h;
              return value > 0 ? <rect key={`${i}-${j}`} x={left + i * bar + 2} y={y} width={bar - 4} height={h} fill={colors[j % colors.length]}><title>{`${a.name}: ${value} at ${new Date(start + i * 3_600_000).getHours()}:00`}</title></rect> : null;
            });
          })}
          {totals.map((_, i) => (i % 4 === 0 ? <text key={`t${i}`} x={left + i * bar + bar / 2} y={height + 16} class="tick">{`${new Date(start + i * 3_600_000).getHours()}:00`}</text> : null))}
        </svg>
        <figcaption>
          <ul class="legend">
            {apps.map((a, j) => <li key={a.client_id}><span class="swatch" style={{ background: colors[j % colors.length] }} />{a.name} <small>({a.counts.reduce((x, y) => x + y, 0)})</small></li>)}
          </ul>
        </figcaption>
      </figure>
    </section>
  );
}

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
                  <td>{new Date(e.created_at).toLocaleString(undefined, { dateStyle: 'short', timeStyle: 'medium' })}</td>
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

/** The scope catalog. */
export function ScopesPage({ tenant, canWrite }: PageProps) {
  const scopes = useLoad(() => api<C.ScopeList>('GET', `/tenants/${tenant}/scopes`), [tenant]);
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [isDefault, setDefault] = useState(false);
  const [error, run] = useAction();
  return (
    <section aria-labelledby="page-title">
      <h1 id="page-title">Scopes</h1>
      <p class="lead">What apps and API tokens may be granted. Default scopes are granted when an app asks for none.</p>
      <div class="table-wrap">
        <table>
          <thead><tr><th scope="col">Scope</th><th scope="col">Description</th><th scope="col">Default</th></tr></thead>
          <tbody>{(scopes.data?.scopes ?? []).map((s) => <tr key={s.name}><td><code>{s.name}</code></td><td>{s.description}</td><td>{s.default ? 'yes' : 'no'}</td></tr>)}</tbody>
        </table>
      </div>
      {canWrite ? (
        <form class="inline-form" onSubmit={(e) => { e.preventDefault(); return run(async () => { await api<C.ScopeList['scopes'][number]>('POST', `/tenants/${tenant}/scopes`, { name, description, default: isDefault }); setName(''); setDescription(''); setDefault(false); scopes.reload(); }); }}>
          <h2>Add a scope</h2>
          <div><label for="scope-name">Name</label><input id="scope-name" required pattern="[A-Za-z0-9_.:\-]{1,64}" value={name} onInput={(e) => setName((e.currentTarget as HTMLInputElement).value)} placeholder="invoices_read" /></div>
          <div><label for="scope-description">Description</label><input id="scope-description" value={description} onInput={(e) => setDescription((e.currentTarget as HTMLInputElement).value)} /></div>
          <label class="check"><input type="checkbox" checked={isDefault} onChange={(e) => setDefault((e.currentTarget as HTMLInputElement).checked)} /> Granted by default</label>
          <ErrorNote error={error} />
          <button type="submit" class="primary">Add scope</button>
        </form>
      ) : null}
    </section>
  );
}

/** Tenant settings and admin API tokens. */
export function SettingsPage({ tenant, canWrite }: PageProps) {
  const settings = useLoad(() => api<C.Settings>('GET', `/tenants/${tenant}/settings`), [tenant]);
  const adminTokens = useLoad(() => api<C.AdminTokenList>('GET', '/admin-tokens'), []);
  const [lifetime, setLifetime] = useState<string | null>(null);
  const [windowSeconds, setWindow] = useState<string | null>(null);
  const [tokenName, setTokenName] = useState('');
  const [tokenRole, setTokenRole] = useState('viewer');
  const [shown, setShown] = useState<string | null>(null);
  const [saved, setSaved] = useState(false);
  const [error, run] = useAction();
  const s = settings.data;
  return (
    <section aria-labelledby="page-title">
      <h1 id="page-title">Settings</h1>
      <ErrorNote error={error ?? settings.error} />
      {s ? (
        <form class="inline-form" onSubmit={(e) => { e.preventDefault(); return run(async () => {
          await api<C.Settings>('PATCH', `/tenants/${tenant}/settings`, { default_token_lifetime: Number(lifetime ?? s.default_token_lifetime), signed_request_window: Number(windowSeconds ?? s.signed_request_window) });
          setSaved(true); settings.reload();
        }); }}>
          <h2>Tenant {tenant}</h2>
          <div><label for="set-lifetime">Default token lifetime (seconds)</label><input id="set-lifetime" type="number" min={60} max={86400} disabled={!canWrite} value={lifetime ?? s.default_token_lifetime} onInput={(e) => { setSaved(false); setLifetime((e.currentTarget as HTMLInputElement).value); }} /></div>
          <div><label for="set-window">Signed-request window (seconds)</label><input id="set-window" type="number" min={1} max={300} disabled={!canWrite} value={windowSeconds ?? s.signed_request_window} onInput={(e) => { setSaved(false); setWindow((e.currentTarget as HTMLInputElement).value); }} /></div>
          {canWrite ? <button type="submit" class="primary">Save settings</button> : null}
          {saved ? <p class="note" role="status">Saved.</p> : null}
        </form>
      ) : null}
      <h2>Admin API tokens</h2>
      <p class="lead">Bearer tokens (<code>kmo_…</code>) for scripts that call <a href="/docs">the admin API</a>, with the role they carry.</p>
      {adminTokens.data && adminTokens.data.tokens.length === 0 ? <Empty>No admin API tokens.</Empty> : null}
      {adminTokens.data && adminTokens.data.tokens.length > 0 ? <div class="table-wrap">
        <table>
          <thead><tr><th scope="col">Name</th><th scope="col">Token</th><th scope="col">Role</th><th scope="col">Created by</th><th scope="col">Last used</th><th scope="col"><span class="sr-only">Actions</span></th></tr></thead>
          <tbody>
            {(adminTokens.data?.tokens ?? []).map((t) => (
              <tr key={t.id}>
                <td>{t.name}</td><td><code>{t.hint}…</code></td><td>{t.role}</td><td>{t.created_by}</td><td>{ago(t.last_used_at)}</td>
                <td>{t.revoked_at ? <Badge value="revoked" /> : canWrite ? <button type="button" class="small danger" aria-label={`Revoke admin token ${t.name}`} onClick={() => run(async () => { await api<C.AdminTokenList['tokens'][number]>('DELETE', `/admin-tokens/${t.id}`); adminTokens.reload(); })}>Revoke</button> : null}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div> : null}
      {canWrite ? (
        <form class="inline-form" onSubmit={(e) => { e.preventDefault(); return run(async () => { const created = await api<C.NewAdminToken>('POST', '/admin-tokens', { name: tokenName, role: tokenRole }); setTokenName(''); setShown(created.token); adminTokens.reload(); }); }}>
          <h2>New admin token</h2>
          <div><label for="admin-token-name">Name</label><input id="admin-token-name" required value={tokenName} onInput={(e) => setTokenName((e.currentTarget as HTMLInputElement).value)} placeholder="terraform" /></div>
          <div><label for="admin-token-role">Role</label><select id="admin-token-role" value={tokenRole} onChange={(e) => setTokenRole((e.currentTarget as HTMLSelectElement).value)}><option value="viewer">viewer (read only)</option><option value="owner">owner</option></select></div>
          <button type="submit" class="primary">Create admin token</button>
        </form>
      ) : null}
      <SecretDialog title="Admin token created" label="Admin API token" value={shown} onClose={() => setShown(null)} />
    </section>
  );
}

/**
 * End users of the tenant (docs/end-users.md): newest first with their last sign-in, an exact
 * email lookup, a user's live sessions, and revocation of one session or all (with confirmation).
 */
export function UsersPage({ tenant, canWrite }: PageProps) {
  const [email, setEmail] = useState('');
  const [applied, setApplied] = useState({ email: '', before: '' });
  const query = new URLSearchParams({ limit: '50' });
  if (applied.email) query.set('email', applied.email);
  if (applied.before) query.set('before', applied.before);
  const users = useLoad(() => api<C.EndUserList>('GET', `/tenants/${tenant}/users?${query}`), [tenant, query.toString()]);
  const [selected, setSelected] = useState<{ id: string; email: string } | null>(null);
  const sessions = useLoad(() => (selected ? api<C.UserSessionList>('GET', `/tenants/${tenant}/users/${selected.id}/sessions`) : Promise.resolve(null)), [tenant, selected?.id]);
  const [confirm, setConfirm] = useState<{ sid: string | null } | null>(null);
  const [note, setNote] = useState<string | null>(null);
  const [error, run] = useAction();
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => { if (selected) heading.current?.focus(); }, [selected?.id]);

  const revoke = () => run(async () => {
    if (!selected || !confirm) return;
    if (confirm.sid) {
      await api('DELETE', `/tenants/${tenant}/users/${selected.id}/sessions/${confirm.sid}`);
      setNote(`Session ${confirm.sid} of ${selected.email} revoked.`);
    } else {
      const { revoked } = await api<C.RevokedSessions>('DELETE', `/tenants/${tenant}/users/${selected.id}/sessions`);
      setNote(`${selected.email} is signed out everywhere: ${revoked} session${revoked === 1 ? '' : 's'} revoked.`);
    }
    setConfirm(null);
    sessions.reload();
  });

  return (
    <section aria-labelledby="page-title">
      <h1 id="page-title">Users</h1>
      <p class="lead">People who sign in to this tenant's apps (<code>/t/{tenant}/auth/…</code>). Revoking a session stops its refresh token at once and its access tokens as soon as verifiers poll the revocation feed (seconds).</p>
      <form class="filters" role="search" onSubmit={(e) => { e.preventDefault(); setSelected(null); setApplied({ email: email.trim(), before: '' }); }}>
        <div><label for="user-email">Email</label><input id="user-email" type="email" placeholder="person@example.com" value={email} onInput={(e) => setEmail((e.currentTarget as HTMLInputElement).value)} /></div>
        <div class="filter-submit"><button type="submit" class="primary">Find</button></div>
        {applied.email || applied.before ? <div class="filter-submit"><button type="button" onClick={() => { setEmail(''); setSelected(null); setApplied({ email: '', before: '' }); }}>Show all</button></div> : null}
      </form>
      <ErrorNote error={users.error} />
      {users.data && users.data.users.length === 0 ? <Empty>{applied.email ? `No user with the email ${applied.email}.` : 'No users yet. They appear when someone signs up.'}</Empty> : null}
      {users.data && users.data.users.length > 0 ? (
        <div class="table-wrap">
          <table>
            <thead><tr><th scope="col">Email</th><th scope="col">Last sign-in</th><th scope="col">Created</th></tr></thead>
            <tbody>
              {users.data.users.map((u) => (
                <tr key={u.id} aria-current={selected?.id === u.id ? 'true' : undefined}>
                  <td>
                    <button type="button" class="link" aria-expanded={selected?.id === u.id} aria-controls="user-sessions" onClick={() => { setNote(null); setSelected({ id: u.id, email: u.email }); }}><span class="sr-only">Sessions of </span>{u.email}</button>
                    <br /><small><code>{u.id}</code></small>
                  </td>
                  <td>{ago(u.last_sign_in_at)}</td>
                  <td>{when(u.created_at)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      {users.data?.next ? ((next) => <p><button type="button" onClick={() => { setSelected(null); setApplied({ ...applied, before: next }); }}>Older users</button></p>)(users.data.next) : null}

      {selected ? (
        <section id="user-sessions" aria-labelledby="sessions-title">
          <div class="page-head">
            <h2 id="sessions-title" ref={heading} tabIndex={-1}>Sessions of {selected.email}</h2>
            {canWrite && sessions.data && sessions.data.sessions.length > 0 ? <button type="button" class="danger" onClick={() => setConfirm({ sid: null })}>Sign out everywhere</button> : null}
          </div>
          <ErrorNote error={sessions.error} />
          {note ? <p class="note" role="status">{note}</p> : null}
          {sessions.data && sessions.data.sessions.length === 0 ? <Empty>No live sessions.</Empty> : null}
          {sessions.data && sessions.data.sessions.length > 0 ? (
            <div class="table-wrap">
              <table>
                <thead><tr><th scope="col">Session</th><th scope="col">Last used</th><th scope="col">Ends</th><th scope="col">Started</th></tr></thead>
                <tbody>
                  {sessions.data.sessions.map((s) => (
                    <tr key={s.sid}>
                      <th scope="row"><code>{s.sid}</code>{canWrite ? <><br /><button type="button" class="small danger" aria-label={`Revoke session ${s.sid}`} onClick={() => setConfirm({ sid: s.sid })}>Revoke</button></> : null}</th>
                      <td>{ago(s.last_used_at)}</td>
                      <td>{when(s.idle_expires_at)}<br /><small>at the latest {when(s.expires_at)}</small></td>
                      <td>{when(s.created_at)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          ) : null}
        </section>
      ) : null}

      <Dialog id="confirm-revoke" title={confirm?.sid ? 'Revoke this session?' : 'Sign out everywhere?'} open={confirm !== null} onClose={() => setConfirm(null)}>
        <p>{confirm?.sid
          ? `Session ${confirm.sid} of ${selected?.email} ends now: its refresh token is refused at once and its access tokens within seconds.`
          : `Every session of ${selected?.email} ends now, on every device. They must sign in again.`}</p>
        <ErrorNote error={error} />
        <div class="actions">
          <button type="button" onClick={() => setConfirm(null)}>Cancel</button>
          <button type="button" class="danger" onClick={revoke}>{confirm?.sid ? 'Revoke session' : 'Revoke all sessions'}</button>
        </div>
      </Dialog>
    </section>
  );
}
