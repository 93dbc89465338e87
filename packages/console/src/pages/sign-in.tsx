import { useState } from 'preact/hooks';
import { api } from '../api';
import type * as C from '../contract';
import { ErrorNote, useAction } from '../ui';

/** Email and password → a console session (POST /admin/v1/session). */
export function SignInPage({ onSignedIn }: { onSignedIn: (account: C.Account) => void }) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [error, run] = useAction();
  return (
    <main class="auth">
      <form class="card" onSubmit={(e) => { e.preventDefault(); return run(async () => onSignedIn((await api<C.Session>('POST', '/session', { email, password })).account)); }}>
        <p class="brand">Keymint</p>
        <h1>Sign in to the console</h1>
        <label for="email">Email</label>
        <input id="email" type="email" autoComplete="username" required value={email} onInput={(e) => setEmail((e.currentTarget as HTMLInputElement).value)} />
        <label for="password">Password</label>
        <input id="password" type="password" autoComplete="current-password" required value={password} onInput={(e) => setPassword((e.currentTarget as HTMLInputElement).value)} />
        <ErrorNote error={error} />
        <button type="submit" class="primary wide">Sign in</button>
        <p class="hint">No account yet? Use the setup link printed when the server first started, or ask an owner to run <code>keymint admin create</code>.</p>
      </form>
    </main>
  );
}
