import type { Page } from 'playwright-core';
import type { TestServer } from '../testing/harness.js';

export interface AdminResponse {
  status: number;
  headers: Headers;
  body: any;
}

/**
 * An admin API caller over real HTTP: either a console session (cookie + X-CSRF-Token, Origin
 * set as a browser would) or a `kmo_` Bearer token.
 */
export class AdminClient {
  cookie: string | null = null;
  csrf: string | null = null;
  bearer: string | null = null;

  constructor(readonly server: TestServer) {}

  static async signIn(server: TestServer, email: string, password: string): Promise<AdminClient> {
    const client = new AdminClient(server);
    const response = await client.call('POST', '/session', { email, password });
    if (response.status !== 200) throw new Error(`sign-in failed: ${response.status} ${JSON.stringify(response.body)}`);
    return client;
  }

  static withToken(server: TestServer, token: string): AdminClient {
    const client = new AdminClient(server);
    client.bearer = token;
    return client;
  }

  async call(method: string, path: string, body?: unknown, options: { origin?: string | null; csrf?: string | null } = {}): Promise<AdminResponse> {
    const headers: Record<string, string> = {};
    if (body !== undefined) headers['content-type'] = 'application/json';
    const origin = options.origin === undefined ? this.server.url : options.origin;
    if (origin !== null) headers.origin = origin;
    if (this.cookie) headers.cookie = this.cookie;
    const csrf = options.csrf === undefined ? this.csrf : options.csrf;
    if (csrf) headers['x-csrf-token'] = csrf;
    if (this.bearer) headers.authorization = `Bearer ${this.bearer}`;
    const response = await fetch(`${this.server.url}/admin/v1${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const setCookie = response.headers.get('set-cookie');
    if (setCookie) {
      const value = setCookie.split(';')[0]!;
      this.cookie = value.endsWith('=') ? null : value;
    }
    const text = await response.text();
    const parsed = text ? JSON.parse(text) : undefined;
    if (parsed && typeof parsed.csrf_token === 'string') this.csrf = parsed.csrf_token;
    return { status: response.status, headers: response.headers, body: parsed };
  }
}

/** An owner (or viewer) account with a password, made through the service layer. */
export async function createAdmin(server: TestServer, email: string, role: 'owner' | 'viewer' = 'owner', tenant?: string): Promise<{ email: string; password: string }> {
  const { keymint } = server.server;
  const password = `pw-${email}-correct horse`;
  const tenantId = tenant === undefined ? null : (await keymint.tenants.get(tenant)).id;
  await keymint.admins.createAccount({ email, password, role, tenantId }, { actor: 'system' });
  return { email, password };
}

/** Signs in on the console's sign-in page as a person would and waits for the first page (Apps). */
export async function signInToConsole(page: Page, server: TestServer, { email, password }: { email: string; password: string }): Promise<void> {
  await page.goto(`${server.url}/console`);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByLabel('Password').press('Enter');
  await page.getByRole('heading', { name: 'Apps' }).waitFor();
}
