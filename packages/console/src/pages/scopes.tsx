import { useState } from 'preact/hooks';
import { api } from '../api';
import type * as C from '../contract';
import { ErrorNote, useAction, useLoad } from '../ui';
import type { PageProps } from './common';

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
      <p class="lead">What apps and API tokens may be granted. An app has only the scopes chosen for it (none unless you choose some); a token request that names no scope gets those of the app's scopes marked default here.</p>
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
