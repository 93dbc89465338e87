import assert from 'node:assert/strict';
import type { TestServer } from './harness.js';
import { sha256 } from '../crypto/hash.js';
import type { Db } from '../store/database.js';

/**
 * The newest one-time code a development-mode server (no KEYMINT_SMTP_URL) wrote to its log for
 * this normalised address (docs/end-users.md "Passwords and one-time codes").
 */
export function loggedCode(server: TestServer, email: string): string {
  const lines = server.logs().split('\n').filter((line) => line.includes('code written to the log')).map((line) => JSON.parse(line) as { email: string; code: string });
  const mine = lines.filter((line) => line.email === email);
  assert.ok(mine.length > 0, `a code for ${email} was logged`);
  return mine[mine.length - 1]!.code;
}

/** A JSON POST to an end-user route, optionally with a Bearer access token; the body parsed. */
export async function postJson(url: string, body: unknown, bearer?: string): Promise<{ status: number; body: Record<string, any> }> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (bearer) headers.authorization = `Bearer ${bearer}`;
  const response = await fetch(url, { method: 'POST', headers, body: JSON.stringify(body) });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : {} };
}

/** The documented example app (examples/end-users/server.mjs), as the browser tests run it. */
export interface ExampleApp {
  url: string;
  close(): Promise<void>;
}
type StartExampleApp = (options: { issuer: string; appId: string; mode: string; port: number; revocationPollMs: number }) => Promise<ExampleApp>;

/** Loads the example app's start function from the repository's examples/ folder. */
export async function exampleApp(): Promise<StartExampleApp> {
  const module = (await import(new URL('../../../../examples/end-users/server.mjs', import.meta.url).href)) as { startExampleApp: StartExampleApp };
  return module.startExampleApp;
}

export type Json = Record<string, any>;

/** A POST to an end-user route with extra headers (cookies, CSRF, Origin); JSON body unless `undefined`. */
export async function call(url: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; headers: Headers; body: Json }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : {} };
}

/**
 * What the session row says of its refresh tokens: how many rotations spent one (`rotations`),
 * whether `token` is its one live token, and whether the session is revoked. Tests count spends
 * here rather than trusting the answers.
 */
export async function refreshState(db: Db, sessionId: string, token?: string): Promise<{ rotations: number; live: boolean; revoked: boolean }> {
  const row = await db.selectFrom('user_sessions').select(['refresh_generation', 'refresh_hash', 'revoked_at']).where('id', '=', sessionId).executeTakeFirstOrThrow();
  return { rotations: row.refresh_generation, live: token !== undefined && row.refresh_hash === sha256(token), revoked: row.revoked_at !== null };
}
