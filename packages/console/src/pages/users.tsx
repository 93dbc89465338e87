import { useEffect, useRef, useState } from 'preact/hooks';
import { ago, api, when } from '../api';
import type * as C from '../contract';
import { Dialog, Empty, ErrorNote, useAction, useLoad } from '../ui';
import type { PageProps } from './common';

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
