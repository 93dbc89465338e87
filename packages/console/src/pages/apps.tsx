import { useState } from 'preact/hooks';
import { api, when } from '../api';
import type * as C from '../contract';
import { Badge, CopyField, Dialog, Empty, ErrorNote, SecretDialog, TokenEndpointField, useAction, useLoad } from '../ui';
import { appLabel, LimitFields, limitsDraftOf, limitsLabel, limitsToCreate, NO_SCOPES, parseJwks, ScopePicker, type PageProps } from './common';

/** Settings > Apps: list and create. */
export function AppsPage({ tenant, issuer, canWrite, navigate }: PageProps) {
  const apps = useLoad(() => api<C.AppList>('GET', `/tenants/${tenant}/apps`), [tenant]);
  const catalog = useLoad(() => api<C.ScopeList>('GET', `/tenants/${tenant}/scopes`), [tenant]);
  const [creating, setCreating] = useState(false);
  const [name, setName] = useState('');
  const [scopes, setScopes] = useState<string[]>([]);
  const [lifetime, setLifetime] = useState('');
  // private_key_jwt: the app authenticates with its keys and is issued no secret.
  const [method, setMethod] = useState<'secret' | 'private_key_jwt'>('secret');
  const [jwks, setJwks] = useState('');
  const [limits, setLimits] = useState(() => limitsDraftOf(null));
  const [secret, setSecret] = useState<{ value: string; clientId: string; label: string } | null>(null);
  const [error, run] = useAction();

  const create = (event: Event) => {
    event.preventDefault();
    return run(async () => {
      const keys = method === 'private_key_jwt' ? { auth_methods: ['private_key_jwt'], jwks: parseJwks(jwks) } : {};
      const created = await api<C.CreatedApp>('POST', `/tenants/${tenant}/apps`, { name, scopes, ...(lifetime ? { token_lifetime: Number(lifetime) } : {}), ...keys, ...limitsToCreate(limits) });
      setCreating(false);
      setName('');
      setScopes([]);
      setLifetime('');
      setMethod('secret');
      setJwks('');
      setLimits(limitsDraftOf(null));
      // No secret to show for a private_key_jwt app: its page lists the registered keys.
      if (!created.secret) return navigate(`/t/${tenant}/apps/${created.app.client_id}`);
      setSecret({ value: created.secret.client_secret, clientId: created.app.client_id, label: appLabel(created.app, [...(apps.data?.apps ?? []), created.app]) });
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
            <thead><tr><th scope="col">Name</th><th scope="col">Client ID</th><th scope="col">Scopes</th><th scope="col">Lifetime</th><th scope="col">Status</th><th scope="col">Limits</th><th scope="col">Created</th></tr></thead>
            <tbody>
              {apps.data.apps.map((app) => (
                <tr key={app.client_id}>
                  <td><a href={`/console/t/${tenant}/apps/${app.client_id}`} onClick={(e) => { e.preventDefault(); navigate(`/t/${tenant}/apps/${app.client_id}`); }}>{appLabel(app, apps.data!.apps)}</a></td>
                  <td><code>{app.client_id}</code></td>
                  <td>{app.scopes.length ? app.scopes.map((s: string) => <code class="chip" key={s}>{s}</code>) : <small class="warn-text">none</small>}</td>
                  <td>{app.token_lifetime} s{app.token_lifetime_default ? <small> (default)</small> : null}</td>
                  <td><Badge value={app.status} /></td>
                  <td>{limitsLabel(app.limits)}</td>
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
          {scopes.length === 0 ? <p class="warning" id="no-scopes-warning">{NO_SCOPES}</p> : null}
          <label for="app-lifetime">Token lifetime (seconds, 60–86400; empty: tenant default)</label>
          <input id="app-lifetime" type="number" min={60} max={86400} value={lifetime} onInput={(e) => setLifetime((e.currentTarget as HTMLInputElement).value)} />
          <label for="app-auth">Client authentication</label>
          <select id="app-auth" value={method} onChange={(e) => setMethod((e.currentTarget as HTMLSelectElement).value as 'secret' | 'private_key_jwt')}>
            <option value="secret">Client secret (shown once)</option>
            <option value="private_key_jwt">private_key_jwt: public keys, no secret</option>
          </select>
          {method === 'private_key_jwt' ? (
            <>
              <label for="app-jwks">Public keys (JWKS)</label>
              <textarea id="app-jwks" rows={6} required value={jwks} onInput={(e) => setJwks((e.currentTarget as HTMLTextAreaElement).value)} placeholder={'{"keys": [{"kty": "EC", "crv": "P-256", "x": "…", "y": "…", "kid": "key-1"}]}'} />
              <p class="hint">Public keys only (EC P-256/P-384, Ed25519 or RSA ≥ 2048 bits): never paste a private key.</p>
            </>
          ) : null}
          <fieldset>
            <legend>Limits <small>optional, shared by every token of the app; the app's page changes them later</small></legend>
            <LimitFields id="new-app-limits" draft={limits} onChange={setLimits} />
          </fieldset>
          <ErrorNote error={error} />
          <div class="actions"><button type="button" onClick={() => setCreating(false)}>Cancel</button><button type="submit" class="primary">Create app</button></div>
        </form>
      </Dialog>
      <SecretDialog
        title={secret ? `App ${secret.label} created` : 'App created'}
        label="Client secret"
        value={secret?.value ?? null}
        before={secret ? <CopyField id="new-client-id" label="Client ID" value={secret.clientId} /> : null}
        after={<TokenEndpointField issuer={issuer} />}
        onClose={() => setSecret(null)}
      />
    </section>
  );
}
