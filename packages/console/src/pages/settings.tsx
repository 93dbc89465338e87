import { useState } from 'preact/hooks';
import { ago, api } from '../api';
import type * as C from '../contract';
import { Badge, Empty, ErrorNote, SecretDialog, useAction, useLoad } from '../ui';
import type { PageProps } from './common';

/** Tenant settings and admin API tokens. */
export function SettingsPage({ tenant, canWrite }: PageProps) {
  const settings = useLoad(() => api<C.Settings>('GET', `/tenants/${tenant}/settings`), [tenant]);
  const adminTokens = useLoad(() => api<C.AdminTokenList>('GET', '/admin-tokens'), []);
  const [lifetime, setLifetime] = useState<string | null>(null);
  const [windowSeconds, setWindow] = useState<string | null>(null);
  const [signingAlg, setSigningAlg] = useState<C.Settings['signing_alg'] | null>(null);
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
          await api<C.Settings>('PATCH', `/tenants/${tenant}/settings`, {
            default_token_lifetime: Number(lifetime ?? s.default_token_lifetime), signed_request_window: Number(windowSeconds ?? s.signed_request_window),
            // Sent only when changed: a new algorithm starts a publish-ahead rotation.
            ...(signingAlg !== null && signingAlg !== s.signing_alg ? { signing_alg: signingAlg } : {}),
          });
          setSigningAlg(null);
          setSaved(true); settings.reload();
        }); }}>
          <h2>Tenant {tenant}</h2>
          <div><label for="set-lifetime">Default token lifetime (seconds)</label><input id="set-lifetime" type="number" min={60} max={86400} disabled={!canWrite} value={lifetime ?? s.default_token_lifetime} onInput={(e) => { setSaved(false); setLifetime((e.currentTarget as HTMLInputElement).value); }} /></div>
          <div><label for="set-window">Signed-request window (seconds)</label><input id="set-window" type="number" min={1} max={300} disabled={!canWrite} value={windowSeconds ?? s.signed_request_window} onInput={(e) => { setSaved(false); setWindow((e.currentTarget as HTMLInputElement).value); }} /></div>
          <div>
            <label for="set-signing-alg">Signing algorithm</label>
            <select id="set-signing-alg" disabled={!canWrite} value={signingAlg ?? s.signing_alg} aria-describedby="set-signing-alg-help" onChange={(e) => { setSaved(false); setSigningAlg((e.currentTarget as HTMLSelectElement).value as C.Settings['signing_alg']); }}>
              <option value="ES256">ES256 (default)</option><option value="RS256">RS256 (for verifiers that know only RSA)</option><option value="EdDSA">EdDSA (Ed25519)</option>
            </select>
            <small id="set-signing-alg-help">A change publishes a key of the new algorithm first; it signs once every verifier can have fetched it (docs/key-rotation.md).</small>
          </div>
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
