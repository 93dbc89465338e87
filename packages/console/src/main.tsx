import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api, ApiError, setCsrf } from './api';
import type * as C from './contract';
import { ApiTokensPage, AppPage, AppsPage, AuditPage, KeysPage, ScopesPage, SettingsPage, SetupPage, SignInPage, TenantsPage, UnknownTenant, UsagePage, UsersPage, WebhooksPage } from './pages';
import { BASE } from './pages/common';
import './styles.css';

const NAV: [string, string][] = [
  ['apps', 'Apps'], ['api-tokens', 'API tokens'], ['keys', 'Signing keys'], ['usage', 'Usage'], ['audit', 'Audit log'], ['webhooks', 'Webhooks'], ['scopes', 'Scopes'], ['users', 'Users'], ['settings', 'Settings'], ['tenants', 'Tenants'],
];

function currentPath(): string {
  const path = location.pathname.startsWith(BASE) ? location.pathname.slice(BASE.length) : '/';
  return path || '/';
}

function Console({ account, onSignedOut }: { account: C.Account; onSignedOut: () => void }) {
  const [path, setPath] = useState(currentPath());
  const [tenants, setTenants] = useState<C.TenantList['tenants'] | null>(null);
  const [menuOpen, setMenuOpen] = useState(false);
  useEffect(() => {
    const onPop = () => setPath(currentPath());
    addEventListener('popstate', onPop);
    return () => removeEventListener('popstate', onPop);
  }, []);
  const loadTenants = () => api<C.TenantList>('GET', '/tenants').then((r) => setTenants(r.tenants)).catch(() => setTenants([]));
  useEffect(() => void loadTenants(), []);
  const navigate = (to: string) => {
    history.pushState(null, '', `${BASE}${to}`);
    setPath(to);
    setMenuOpen(false);
    document.getElementById('main')?.focus();
  };
  const parts = path.split('/').filter(Boolean);
  const tenant = parts[0] === 't' && parts[1] ? parts[1] : tenants?.[0]?.tenant;
  const section = parts[0] === 't' ? parts[2] ?? 'apps' : 'apps';
  useEffect(() => {
    if (tenant && parts[0] !== 't') history.replaceState(null, '', `${BASE}/t/${tenant}/apps`);
  }, [tenant]);
  if (tenants === null) return <main class="auth"><p>Loading…</p></main>;
  const current = tenants.find((t) => t.tenant === tenant);
  // A mistyped or foreign tenant: no shell (its switcher and "Create app" would act on nothing).
  if (!current) return <UnknownTenant tenant={tenant ?? null} tenants={tenants.map((t) => t.tenant)} navigate={navigate} />;
  const props = { tenant: current.tenant, issuer: current.issuer, canWrite: account.role === 'owner', navigate };
  let page;
  if (section === 'apps' && parts[3]) page = <AppPage {...props} clientId={parts[3]} />;
  else if (section === 'apps') page = <AppsPage {...props} />;
  else if (section === 'api-tokens') page = <ApiTokensPage {...props} />;
  else if (section === 'keys') page = <KeysPage {...props} />;
  else if (section === 'usage') page = <UsagePage {...props} />;
  else if (section === 'audit') page = <AuditPage {...props} />;
  else if (section === 'webhooks') page = <WebhooksPage {...props} />;
  else if (section === 'scopes') page = <ScopesPage {...props} />;
  else if (section === 'users') page = <UsersPage {...props} />;
  else if (section === 'tenants') page = <TenantsPage {...props} tenants={tenants} canCreate={account.role === 'owner' && account.tenant === null} onCreated={async (slug) => { await loadTenants(); navigate(`/t/${slug}/apps`); }} />;
  else page = <SettingsPage {...props} />;
  return (
    <div class="shell">
      <a class="skip" href="#main">Skip to content</a>
      <header class="top">
        <span class="brand">Keymint</span>
        <label for="tenant-switcher" class="sr-only">Tenant</label>
        <select id="tenant-switcher" value={tenant} onChange={(e) => navigate(`/t/${(e.currentTarget as HTMLSelectElement).value}/${section}`)}>
          {tenants.map((t) => <option value={t.tenant} key={t.tenant}>{t.tenant}</option>)}
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
  const [account, setAccount] = useState<C.Account | null | undefined>(undefined);
  useEffect(() => {
    if (currentPath().startsWith('/setup')) return setAccount(null);
    api<C.Session>('GET', '/session').then((r) => setAccount(r.account)).catch((error) => {
      if (!(error instanceof ApiError)) console.error(error);
      setAccount(null);
    });
  }, []);
  const signedIn = (next: C.Account) => {
    if (currentPath().startsWith('/signin') || currentPath().startsWith('/setup')) history.replaceState(null, '', `${BASE}/`);
    setAccount(next);
  };
  if (account === undefined) return <main class="auth"><p>Loading…</p></main>;
  if (account === null && currentPath().startsWith('/setup')) return <SetupPage onSignedIn={signedIn} />;
  if (account === null) return <SignInPage onSignedIn={signedIn} />;
  return <Console account={account} onSignedOut={() => { history.replaceState(null, '', `${BASE}/signin`); setAccount(null); }} />;
}

render(<App />, document.getElementById('app')!);
