import { useState } from 'preact/hooks';
import { ago, api, when } from '../api';
import type * as C from '../contract';
import { Badge, Dialog, ErrorNote, SecretDialog, useAction, useLoad } from '../ui';
import { EXPIRIES, AUTH_METHODS, ScopePicker, type PageProps } from './common';

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
            <button type="button" onClick={() => setEdit({ scopes: a.scopes, lifetime: a.token_lifetime_default ? '' : String(a.token_lifetime), audiences: a.audiences.join('\n'), methods: a.auth_methods })}>Edit</button>
            <button type="button" class="danger" onClick={() => setConfirm('disable')}>Disable app</button>
          </div>
        ) : null}
      </div>
      <ErrorNote error={error} />
      <dl class="facts">
        <dt>Client ID</dt><dd><code>{a.client_id}</code></dd>
        <dt>Scopes</dt><dd>{a.scopes.length ? a.scopes.map((s: string) => <code class="chip" key={s}>{s}</code>) : 'none'}</dd>
        <dt>Token lifetime</dt><dd>{a.token_lifetime} s{a.token_lifetime_default ? ' (tenant default)' : ''}</dd>
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
              <tr key={s.secret_id}>
                <td><code>{s.hint}…</code></td>
                <td><Badge value={s.status} /></td>
                <td>{when(s.created_at)}</td>
                <td>{s.expires_at ? when(s.expires_at) : 'never'}</td>
                <td>{ago(s.last_used_at)}</td>
                <td>{canWrite && s.status === 'active' ? <button type="button" class="small danger" aria-label={`Revoke secret ${s.hint}`} onClick={() => run(async () => { await api<C.SecretList['secrets'][number]>('DELETE', `/tenants/${tenant}/apps/${clientId}/secrets/${s.secret_id}`); secrets.reload(); })}>Revoke</button> : null}</td>
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
