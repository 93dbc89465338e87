import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api, ApiError, setCsrf } from './api';
import type * as C from './contract';
import { ApiTokensPage, AppPage, AppsPage, AuditPage, KeysPage, ScopesPage, SettingsPage, UsagePage, UsersPage } from './pages';
import { ErrorNote, useAction } from './ui';
import './styles.css';

interface Account {
  email: string;
  role: 'owner' | 'viewer';
  tenant: string | null;
}

const BASE = '/console';
const NAV: [string, string][] = [
  ['apps', 'Apps'], ['api-tokens', 'API tokens'], ['keys', 'Signing keys'], ['usage', 'Usage'], ['audit', 'Audit log'], ['scopes', 'Scopes'], ['users', 'Users'], ['settings', 'Settings'],
];

function currentPath(): string {
  const path = location.pathname.startsWith(BASE) ? location.pathname.slice(BASE.length) : '/';
  return path || '/';
}

function SignIn({ onSignedIn }: { onSignedIn: (account: Account) => void }) {
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

function Setup({ onSignedIn }: { onSignedIn: (account: Account) => void }) {
  const token = new URLSearchParams(location.search).get('token') ?? '';
  const [info, setInfo] = useState<{ email: string | null; expires_at: string } | null>(null);
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [error, run] = useAction();
  useEffect(() => { void run(async () => setInfo(await api<C.SetupInfo>('POST', '/setup/inspect', { token }))); }, [token]);
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

function Console({ account, onSignedOut }: { account: Account; onSignedOut: () => void }) {
  const [path, setPath] = useState(currentPath());
  const [tenants, setTenants] = useState<string[]>([]);
  const [menuOpen, setMenuOpen] = useState(false);
  useEffect(() => {
    const onPop = () => setPath(currentPath());
    addEventListener('popstate', onPop);
    api<C.TenantList>('GET', '/tenants').then((r) => setTenants(r.tenants.map((t) => t.tenant))).catch(() => setTenants([]));
    return () => removeEventListener('popstate', onPop);
  }, []);
  const navigate = (to: string) => {
    history.pushState(null, '', `${BASE}${to}`);
    setPath(to);
    setMenuOpen(false);
    document.getElementById('main')?.focus();
  };
  const parts = path.split('/').filter(Boolean);
  const tenant = parts[0] === 't' && parts[1] ? parts[1] : tenants[0];
  const section = parts[0] === 't' ? parts[2] ?? 'apps' : 'apps';
  useEffect(() => {
    if (tenant && parts[0] !== 't') history.replaceState(null, '', `${BASE}/t/${tenant}/apps`);
  }, [tenant]);
  if (!tenant) return <main class="auth"><p>Loading…</p></main>;
  const props = { tenant, canWrite: account.role === 'owner', navigate };
  let page;
  if (section === 'apps' && parts[3]) page = <AppPage {...props} clientId={parts[3]} />;
  else if (section === 'apps') page = <AppsPage {...props} />;
  else if (section === 'api-tokens') page = <ApiTokensPage {...props} />;
  else if (section === 'keys') page = <KeysPage {...props} />;
  else if (section === 'usage') page = <UsagePage {...props} />;
  else if (section === 'audit') page = <AuditPage {...props} />;
  else if (section === 'scopes') page = <ScopesPage {...props} />;
  else if (section === 'users') page = <UsersPage {...props} />;
  else page = <SettingsPage {...props} />;
  return (
    <div class="shell">
      <a class="skip" href="#main">Skip to content</a>
      <header class="top">
        <span class="brand">Keymint</span>
        <label for="tenant-switcher" class="sr-only">Tenant</label>
        <select id="tenant-switcher" value={tenant} onChange={(e) => navigate(`/t/${(e.currentTarget as HTMLSelectElement).value}/${section}`)}>
          {tenants.map((t) => <option value={t} key={t}>{t}</option>)}
        </select>
        <button type="button" class="menu-toggle" aria-expanded={menuOpen} aria-controls="nav" onClick={() => setMenuOpen(!menuOpen)}>Menu</button>
        <span class="who"><span class="who-email">{account.email}</span> <span class="badge">{account.role}</span></span>
        <button type="button" class="ghost" onClick={async () => { await api('DELETE', '/session').catch(() => undefined); setCsrf(null); onSignedOut(); }}>Sign out</button>
      </header>
      <nav id="nav" aria-label="Console" class={menuOpen ? 'open' : ''}>
        <ul>
          {NAV.map(([key, label]) => (
            <li key={key}><a href={`${BASE}/t/${tenant}/${key}`} aria-current={section === key ? 'page' : undefined} onClick={(e) => { e.preventDefault(); navigate(`/t/${tenant}/${key}`); }}>{label}</a></li>
          ))}
        </ul>
      </nav>
      <main id="main" tabIndex={-1}>{page}</main>
    </div>
  );
}

function App() {
  const [account, setAccount] = useState<Account | null | undefined>(undefined);
  useEffect(() => {
    if (currentPath().startsWith('/setup')) return setAccount(null);
    api<C.Session>('GET', '/session').then((r) => setAccount(r.account)).catch((error) => {
      if (!(error instanceof ApiError)) console.error(error);
      setAccount(null);
    });
  }, []);
  const signedIn = (next: Account) => {
    if (currentPath().startsWith('/signin') || currentPath().startsWith('/setup')) history.replaceState(null, '', `${BASE}/`);
    setAccount(next);
  };
  if (account === undefined) return <main class="auth"><p>Loading…</p></main>;
  if (account === null && currentPath().startsWith('/setup')) return <Setup onSignedIn={signedIn} />;
  if (account === null) return <SignIn onSignedIn={signedIn} />;
  return <Console account={account} onSignedOut={() => { history.replaceState(null, '', `${BASE}/signin`); setAccount(null); }} />;
}

render(<App />, document.getElementById('app')!);
