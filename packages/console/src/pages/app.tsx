import { useState } from 'preact/hooks';
import { ago, api, when } from '../api';
import type * as C from '../contract';
import { Badge, CopyField, Dialog, ErrorNote, ExpiringSoon, NotFound, SecretDialog, TokenEndpointField, useAction, useLoad } from '../ui';
import { appLabel, AUTH_METHODS, BASE, EXPIRIES, LimitsDialog, limitsLabel, NO_SCOPES, parseJwks, ScopePicker, type PageProps } from './common';

/** One app: rename and settings, secrets (add with expiry, regenerate, revoke), disable. */
export function AppPage({ tenant, issuer, canWrite, navigate, clientId }: PageProps & { clientId: string }) {
  const app = useLoad(() => api<C.App>('GET', `/tenants/${tenant}/apps/${clientId}`), [tenant, clientId]);
  // The tenant's other apps: a name they share is shown with the client id (appLabel).
  const siblings = useLoad(() => api<C.AppList>('GET', `/tenants/${tenant}/apps`), [tenant]);
  const secrets = useLoad(() => api<C.SecretList>('GET', `/tenants/${tenant}/apps/${clientId}/secrets`), [tenant, clientId]);
  const catalog = useLoad(() => api<C.ScopeList>('GET', `/tenants/${tenant}/scopes`), [tenant]);
  const keys = useLoad(() => api<C.AppKeyList>('GET', `/tenants/${tenant}/apps/${clientId}/keys`), [tenant, clientId]);
  const [newKeys, setNewKeys] = useState('');
  const [shown, setShown] = useState<string | null>(null);
  const [expiry, setExpiry] = useState('');
  const [edit, setEdit] = useState<{ name: string; scopes: string[]; lifetime: string; audiences: string; methods: string[]; requireDpop: boolean } | null>(null);
  const [needsSecret, setNeedsSecret] = useState(false);
  const [limiting, setLimiting] = useState(false);
  const [confirm, setConfirm] = useState<'regenerate' | 'disable' | null>(null);
  const [error, run] = useAction();
  const reload = () => { app.reload(); secrets.reload(); siblings.reload(); keys.reload(); };
  const back = <p><a href={`${BASE}/t/${tenant}/apps`} onClick={(e) => { e.preventDefault(); navigate(`/t/${tenant}/apps`); }}>← Apps</a></p>;
  if (app.missing) return <NotFound title="No such app">{back}<p>Tenant <strong>{tenant}</strong> has no app with client ID <code>{clientId}</code>. It may belong to another tenant.</p></NotFound>;
  if (!app.data) return <section><ErrorNote error={app.error} /></section>;
  const a = app.data;
  const label = appLabel(a, siblings.data?.apps ?? []);
  const addSecret = () => run(async () => {
    const created = await api<C.NewSecret>('POST', `/tenants/${tenant}/apps/${clientId}/secrets`, expiry ? { expires_in: expiry } : {});
    setShown(created.client_secret);
    setNeedsSecret(false);
    secrets.reload();
  });

  const usesKeys = a.auth_methods.includes('private_key_jwt');
  const addKeys = (event: Event) => {
    event.preventDefault();
    return run(async () => {
      await api<C.AppKeyList>('POST', `/tenants/${tenant}/apps/${clientId}/keys`, { jwks: parseJwks(newKeys) });
      setNewKeys('');
      keys.reload();
    });
  };

  const save = (event: Event) => {
    event.preventDefault();
    return run(async () => {
      const updated = await api<C.UpdatedApp>('PATCH', `/tenants/${tenant}/apps/${clientId}`, {
        ...(edit!.name.trim() === a.name ? {} : { name: edit!.name }),
        scopes: edit!.scopes,
        token_lifetime: edit!.lifetime ? Number(edit!.lifetime) : null,
        audiences: edit!.audiences.split(/[\s,]+/).filter(Boolean),
        auth_methods: edit!.methods,
        ...(edit!.requireDpop === a.require_dpop ? {} : { require_dpop: edit!.requireDpop }),
      });
      setNeedsSecret(updated.new_secret_required);
      setEdit(null);
      reload();
    });
  };

  return (
    <section aria-labelledby="page-title">
      {back}
      <div class="page-head">
        <h1 id="page-title">{label} <Badge value={a.status} /></h1>
        {canWrite && a.status === 'active' ? (
          <div class="button-row">
            <button type="button" onClick={() => setEdit({ name: a.name, scopes: a.scopes, lifetime: a.token_lifetime_default ? '' : String(a.token_lifetime), audiences: a.audiences.join('\n'), methods: a.auth_methods, requireDpop: a.require_dpop })}>Edit</button>
            <button type="button" onClick={() => setLimiting(true)}>Limits</button>
            <button type="button" class="danger" onClick={() => setConfirm('disable')}>Disable app</button>
          </div>
        ) : null}
      </div>
      <ErrorNote error={error} />
      {a.scopes.length === 0 ? <p class="warning" id="no-scopes-warning">{NO_SCOPES}</p> : null}
      {needsSecret ? (
        <p class="notice" role="status">
          <strong>signed_request needs a new secret.</strong> Existing secrets are stored as hashes only, so they keep working for Basic and post but cannot sign requests. Add a secret below and use it to sign.
        </p>
      ) : null}
      <dl class="facts">
        <dt>Client ID</dt><dd><code>{a.client_id}</code></dd>
        <dt>Scopes</dt><dd>{a.scopes.length ? a.scopes.map((s: string) => <code class="chip" key={s}>{s}</code>) : 'none'}</dd>
        <dt>Token lifetime</dt><dd>{a.token_lifetime} s{a.token_lifetime_default ? ' (tenant default)' : ''}</dd>
        <dt>Audiences</dt><dd>{['default (issuer/api)', ...a.audiences].join(', ')}</dd>
        <dt>Auth methods</dt><dd>{a.auth_methods.join(', ')}</dd>
        <dt>DPoP</dt><dd>{a.require_dpop ? 'required: tokens only with a DPoP proof' : 'optional'}</dd>
        <dt>Format</dt><dd>{a.token_format}</dd>
        <dt>Limits</dt><dd>{limitsLabel(a.limits)} <small>(shared by every token of the app)</small></dd>
      </dl>
      {limiting ? <LimitsDialog id="app-limits" title={`Limits of ${label}`} limits={a.limits} error={error} onClose={() => setLimiting(false)}
        onSave={(limits) => run(async () => { await api<C.UpdatedApp>('PATCH', `/tenants/${tenant}/apps/${clientId}`, { limits }); setLimiting(false); reload(); })} /> : null}

      {usesKeys ? (
        <section aria-labelledby="keys-title">
          <h2 id="keys-title">Public keys (private_key_jwt)</h2>
          <p class="lead">The app signs a short-lived assertion with one of these keys for every token request; it holds no secret. Rotate by adding the new key, deploying it, then removing the old one.</p>
          <div class="table-wrap">
            <table>
              <thead><tr><th scope="col">Key ID</th><th scope="col">Thumbprint (RFC 7638)</th><th scope="col">Type</th><th scope="col">Added</th><th scope="col"><span class="sr-only">Actions</span></th></tr></thead>
              <tbody>
                {(keys.data?.keys ?? []).map((k) => (
                  <tr key={k.kid}>
                    <td><code>{k.kid}</code></td>
                    <td><code>{k.thumbprint}</code></td>
                    <td>{k.kty}{k.alg ? ` ${k.alg}` : ''}</td>
                    <td>{when(k.created_at)}</td>
                    <td class="row-actions">{canWrite ? <button type="button" class="small danger" aria-label={`Remove key ${k.kid}`} onClick={() => run(async () => { await api<C.AppKeyList>('DELETE', `/tenants/${tenant}/apps/${clientId}/keys/${encodeURIComponent(k.kid)}`); keys.reload(); })}>Remove</button> : null}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          {canWrite && a.status === 'active' ? (
            <form onSubmit={addKeys}>
              <label for="add-jwks">Add public keys (JWKS)</label>
              <textarea id="add-jwks" rows={4} required value={newKeys} onInput={(e) => setNewKeys((e.currentTarget as HTMLTextAreaElement).value)} placeholder={'{"keys": [ … ]}'} />
              <div class="actions"><button type="submit" class="primary">Add keys</button></div>
            </form>
          ) : null}
        </section>
      ) : null}

      {usesKeys ? null : <>
      <div class="page-head">
        <h2>Client secrets</h2>
        {canWrite && a.status === 'active' ? (
          <div class="button-row">
            <span class="group">
              <label for="secret-expiry" class="inline">Expires</label>
              <select id="secret-expiry" value={expiry} onChange={(e) => setExpiry((e.currentTarget as HTMLSelectElement).value)}>
                {EXPIRIES.map(([value, label]) => <option value={value} key={value}>{label}</option>)}
              </select>
              <button type="button" class="primary" onClick={addSecret}>Add secret</button>
            </span>
            <button type="button" class="danger" onClick={() => setConfirm('regenerate')}>Regenerate…</button>
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
                <td><Badge value={s.status} /><ExpiringSoon status={s.status} expiresAt={s.expires_at} /></td>
                <td>{when(s.created_at)}</td>
                <td>{s.expires_at ? when(s.expires_at) : 'never'}</td>
                <td>{ago(s.last_used_at)}</td>
                <td class="row-actions">{canWrite && s.status === 'active' ? <button type="button" class="small danger" aria-label={`Revoke secret ${s.hint}`} onClick={() => run(async () => { await api<C.SecretList['secrets'][number]>('DELETE', `/tenants/${tenant}/apps/${clientId}/secrets/${s.secret_id}`); secrets.reload(); })}>Revoke</button> : null}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      </>}

      <Dialog id="confirm" title={confirm === 'disable' ? `Disable ${label}?` : `Regenerate the secret of ${label}?`} open={confirm !== null} onClose={() => setConfirm(null)}>
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
          })}>{confirm === 'disable' ? 'Disable app' : 'Revoke all and regenerate'}</button>
        </div>
      </Dialog>

      <Dialog id="edit-app" title="Edit app" open={edit !== null} onClose={() => setEdit(null)}>
        {edit ? (
          <form onSubmit={save}>
            <label for="edit-name">Name</label>
            <input id="edit-name" required maxLength={200} value={edit.name} onInput={(e) => setEdit({ ...edit, name: (e.currentTarget as HTMLInputElement).value })} />
            <ScopePicker idPrefix="edit-scope" scopes={catalog.data?.scopes ?? []} selected={edit.scopes} onChange={(scopes) => setEdit({ ...edit, scopes })} />
            {edit.scopes.length === 0 ? <p class="warning">{NO_SCOPES}</p> : null}
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
              {edit.methods.includes('signed_request') && !a.auth_methods.includes('signed_request') ? <p class="hint">Signed requests need a secret added after this change: you will be asked to add one.</p> : null}
            </fieldset>
            <label class="check">
              <input id="edit-require-dpop" type="checkbox" checked={edit.requireDpop} onChange={(e) => setEdit({ ...edit, requireDpop: (e.currentTarget as HTMLInputElement).checked })} />
              Require DPoP: tokens only for requests with a DPoP proof, always bound to its key (RFC 9449)
            </label>
            <ErrorNote error={error} />
            <div class="actions"><button type="button" onClick={() => setEdit(null)}>Cancel</button><button type="submit" class="primary">Save</button></div>
          </form>
        ) : null}
      </Dialog>
      <SecretDialog
        title={`New client secret for ${label}`}
        label="Client secret"
        value={shown}
        before={<CopyField id="new-client-id" label="Client ID" value={a.client_id} />}
        after={<TokenEndpointField issuer={issuer} />}
        onClose={() => setShown(null)}
      />
    </section>
  );
}
