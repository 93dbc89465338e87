import { useState } from 'preact/hooks';
import { api, when } from '../api';
import type * as C from '../contract';
import { Dialog, ErrorNote, useAction } from '../ui';
import { BASE, type PageProps } from './common';

type Tenants = C.TenantList['tenants'];

/** The tenants this admin reaches, with their issuers; global owners create new ones here. */
export function TenantsPage({ tenants, canCreate, navigate, onCreated }: PageProps & { tenants: Tenants; canCreate: boolean; onCreated: (slug: string) => Promise<void> }) {
  const [creating, setCreating] = useState(false);
  const [slug, setSlug] = useState('');
  const [name, setName] = useState('');
  const [error, run] = useAction();
  const create = (event: Event) => {
    event.preventDefault();
    return run(async () => {
      const created = await api<C.TenantList['tenants'][number]>('POST', '/tenants', { slug, ...(name ? { name } : {}) });
      setCreating(false);
      setSlug('');
      setName('');
      await onCreated(created.tenant);
    });
  };
  return (
    <section aria-labelledby="page-title">
      <div class="page-head">
        <h1 id="page-title">Tenants</h1>
        {canCreate ? <button type="button" class="primary" onClick={() => setCreating(true)}>Create tenant</button> : null}
      </div>
      <p class="lead">Each tenant has its own issuer, apps, scopes, signing keys and users.{canCreate ? '' : ' Only owners of every tenant create tenants.'}</p>
      <div class="table-wrap">
        <table>
          <thead><tr><th scope="col">Tenant</th><th scope="col">Name</th><th scope="col">Issuer</th><th scope="col">Created</th></tr></thead>
          <tbody>
            {tenants.map((t) => (
              <tr key={t.tenant}>
                <td><a href={`${BASE}/t/${t.tenant}/apps`} onClick={(e) => { e.preventDefault(); navigate(`/t/${t.tenant}/apps`); }}>{t.tenant}</a></td>
                <td>{t.name}</td>
                <td><code>{t.issuer}</code></td>
                <td>{when(t.created_at)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <Dialog id="create-tenant" title="Create tenant" open={creating} onClose={() => setCreating(false)}>
        <form onSubmit={create}>
          <label for="tenant-slug">Slug (in the issuer URL: lowercase letters, digits, dashes)</label>
          <input id="tenant-slug" required maxLength={63} pattern="[a-z0-9]([a-z0-9\-]{0,61}[a-z0-9])?" value={slug} onInput={(e) => setSlug((e.currentTarget as HTMLInputElement).value)} placeholder="acme" />
          <label for="tenant-name">Display name (optional)</label>
          <input id="tenant-name" maxLength={200} value={name} onInput={(e) => setName((e.currentTarget as HTMLInputElement).value)} placeholder="Acme Inc." />
          <ErrorNote error={error} />
          <div class="actions"><button type="button" onClick={() => setCreating(false)}>Cancel</button><button type="submit" class="primary">Create tenant</button></div>
        </form>
      </Dialog>
    </section>
  );
}

/** A tenant that does not exist or that this admin cannot reach: say so, and list where to go. */
export function UnknownTenant({ tenant, tenants, navigate }: { tenant: string | null; tenants: string[]; navigate: (path: string) => void }) {
  return (
    <main class="auth">
      <div class="card">
        <p class="brand">Keymint</p>
        <h1>{tenant ? `No tenant “${tenant}”` : 'No tenant to show'}</h1>
        <p>{tenant ? 'It does not exist, or your account cannot reach it.' : 'Your account reaches no tenant yet. Ask an owner for access.'}</p>
        {tenants.length > 0 ? (
          <>
            <p>Your tenants:</p>
            <ul>{tenants.map((t) => <li key={t}><a href={`${BASE}/t/${t}/apps`} onClick={(e) => { e.preventDefault(); navigate(`/t/${t}/apps`); }}>{t}</a></li>)}</ul>
          </>
        ) : null}
      </div>
    </main>
  );
}
