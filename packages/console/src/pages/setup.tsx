import { useEffect, useState } from 'preact/hooks';
import { api } from '../api';
import type * as C from '../contract';
import { ErrorNote, useAction } from '../ui';
import { BASE } from './common';

/** A one-time setup link: choose a password (and, for the first-start link, the owner's email). */
export function SetupPage({ onSignedIn }: { onSignedIn: (account: C.Account) => void }) {
  const token = new URLSearchParams(location.search).get('token') ?? '';
  const [info, setInfo] = useState<C.SetupInfo | null>(null);
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [error, run] = useAction();
  const [spent, setSpent] = useState<string | null>(null);
  useEffect(() => {
    api<C.SetupInfo>('POST', '/setup/inspect', { token }).then(setInfo, (failure: Error) => setSpent(failure.message));
  }, [token]);
  // A used, expired or mangled link: nothing to fill in here, so lead to sign-in.
  if (spent !== null) {
    return (
      <main class="auth">
        <div class="card">
          <p class="brand">Keymint</p>
          <h1>This setup link cannot be used</h1>
          <p>{spent}</p>
          <p>Setup links work once, for 24 hours. If you already chose a password, sign in; otherwise ask an owner for a new link (<code>keymint admin create</code>).</p>
          <a class="button primary wide" href={`${BASE}/signin`}>Go to sign-in</a>
        </div>
      </main>
    );
  }
  return (
    <main class="auth">
      <form class="card" onSubmit={(e) => { e.preventDefault(); return run(async () => {
        const result = await api<C.Session>('POST', '/setup', { token, password, ...(info?.email ? {} : { email }) });
        history.replaceState(null, '', `${BASE}/`);
        onSignedIn(result.account);
      }); }}>
        <p class="brand">Keymint</p>
        <h1>{info && !info.email ? 'Create the first admin account' : 'Choose your password'}</h1>
        {info?.email ? <p>Account <strong>{info.email}</strong></p> : null}
        {info && !info.email ? (<><label for="setup-email">Email</label><input id="setup-email" type="email" autoComplete="username" required value={email} onInput={(e) => setEmail((e.currentTarget as HTMLInputElement).value)} /></>) : null}
        <label for="setup-password">Password (at least 10 characters)</label>
        <input id="setup-password" type="password" autoComplete="new-password" minLength={10} required value={password} onInput={(e) => setPassword((e.currentTarget as HTMLInputElement).value)} />
        <ErrorNote error={error} />
        <button type="submit" class="primary wide" disabled={!info}>Continue</button>
      </form>
    </main>
  );
}
