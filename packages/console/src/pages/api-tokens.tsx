import { useState } from 'preact/hooks';
import { ago, api, when } from '../api';
import type * as C from '../contract';
import { Badge, Dialog, Empty, ErrorNote, ExpiringSoon, SecretDialog, useAction, useLoad } from '../ui';
import { EXPIRIES, LimitFields, LimitsDialog, limitsDraftOf, limitsLabel, limitsToCreate, ScopePicker, type PageProps } from './common';

/** API tokens: create (shown once), list with last use, revoke. */
export function ApiTokensPage({ tenant, canWrite }: PageProps) {
  const tokens = useLoad(() => api<C.ApiTokenList>('GET', `/tenants/${tenant}/api-tokens`), [tenant]);
  const catalog = useLoad(() => api<C.ScopeList>('GET', `/tenants/${tenant}/scopes`), [tenant]);
  const [creating, setCreating] = useState(false);
  const [name, setName] = useState('');
  const [scopes, setScopes] = useState<string[]>([]);
  const [expiry, setExpiry] = useState('90d');
  const [limits, setLimits] = useState(() => limitsDraftOf(null));
  const [shown, setShown] = useState<string | null>(null);
  const [limiting, setLimiting] = useState<C.ApiToken | null>(null);
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
            <thead><tr><th scope="col">Name</th><th scope="col">Token</th><th scope="col">Scopes</th><th scope="col">Status</th><th scope="col">Expires</th><th scope="col">Last used</th><th scope="col">Limits</th><th scope="col"><span class="sr-only">Actions</span></th></tr></thead>
            <tbody>
              {tokens.data.tokens.map((t) => (
                <tr key={t.id}>
                  <td>{t.name}</td>
                  <td><code>{t.hint}…</code></td>
                  <td>{t.scopes.map((s: string) => <code class="chip" key={s}>{s}</code>)}</td>
                  <td><Badge value={t.status} /><ExpiringSoon status={t.status} expiresAt={t.expires_at} /></td>
                  <td>{t.expires_at ? when(t.expires_at) : 'never'}</td>
                  <td>{ago(t.last_used_at)}</td>
                  <td>{limitsLabel(t.limits)}</td>
                  <td>{canWrite && t.status === 'active' ? <button type="button" class="small" aria-label={`Limits of token ${t.name}`} onClick={() => setLimiting(t)}>Limits</button> : null} {canWrite && t.status === 'active' ? <button type="button" class="small danger" aria-label={`Revoke token ${t.name}`} onClick={() => run(async () => { await api<C.ApiToken>('DELETE', `/tenants/${tenant}/api-tokens/${t.id}`); tokens.reload(); })}>Revoke</button> : null}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      <Dialog id="create-token" title="Create API token" open={creating} onClose={() => setCreating(false)}>
        <form onSubmit={(e) => { e.preventDefault(); return run(async () => {
          // Limits set at creation (issue 20): the token is never live without them.
          const created = await api<C.NewApiToken>('POST', `/tenants/${tenant}/api-tokens`, { name, scopes, ...(expiry ? { expires_in: expiry } : {}), ...limitsToCreate(limits) });
          setCreating(false); setName(''); setScopes([]); setLimits(limitsDraftOf(null)); setShown(created.token); tokens.reload();
        }); }}>
          <label for="token-name">Name</label>
          <input id="token-name" required maxLength={200} value={name} onInput={(e) => setName((e.currentTarget as HTMLInputElement).value)} placeholder="nightly export" />
          <ScopePicker idPrefix="token-scope" scopes={catalog.data?.scopes ?? []} selected={scopes} onChange={setScopes} />
          <label for="token-expiry">Expires</label>
          <select id="token-expiry" value={expiry} onChange={(e) => setExpiry((e.currentTarget as HTMLSelectElement).value)}>
            {EXPIRIES.map(([value, label]) => <option value={value} key={value}>{label}</option>)}
          </select>
          <fieldset>
            <legend>Limits <small>optional; the Limits button changes them later</small></legend>
            <LimitFields id="new-token-limits" draft={limits} onChange={setLimits} />
          </fieldset>
          <ErrorNote error={error} />
          <div class="actions"><button type="button" onClick={() => setCreating(false)}>Cancel</button><button type="submit" class="primary">Create token</button></div>
        </form>
      </Dialog>
      {limiting ? <LimitsDialog key={limiting.id} id="token-limits" title={`Limits of ${limiting.name}`} limits={limiting.limits} error={error} onClose={() => setLimiting(null)}
        onSave={(limits) => run(async () => { await api<C.ApiToken>('PATCH', `/tenants/${tenant}/api-tokens/${limiting.id}`, { limits }); setLimiting(null); tokens.reload(); })} /> : null}
      <SecretDialog title="API token created" label="API token" value={shown} onClose={() => setShown(null)} />
    </section>
  );
}
