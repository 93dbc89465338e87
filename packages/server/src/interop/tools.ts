import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { TestContext } from 'node:test';
import type { TestServer } from '../testing/harness.js';
import { introspect } from '../testing/tokens.js';

/**
 * Helpers of the interop suite: clients nobody here wrote (Python, Go and Node libraries) run
 * against a real Keymint server. Tools come from Debian packages that .ci/run installs; a missing
 * one fails the suite under CI=true and is skipped, loudly, on a developer's machine.
 */

/** Debian's interpreter, where apt puts python3-authlib & co. (a pyenv shim would not see them). */
export const PYTHON = '/usr/bin/python3';

/** What to install for each tool, said in every failure and skip message. */
export const INSTALL = {
  python: 'apt-get install python3-authlib python3-requests-oauthlib python3-jwt',
  go: 'apt-get install golang-go golang-golang-x-oauth2-dev',
} as const;

/** Where GOPATH-mode builds find golang.org/x/oauth2 (Debian's golang-golang-x-oauth2-dev). */
export const DEBIAN_GOPATH = '/usr/share/gocode';

/** A file of this folder's sources (.py, .go), from the compiled test in dist/. */
export function interopSource(relative: string): string {
  return fileURLToPath(new URL(`../../src/interop/${relative}`, import.meta.url));
}

export function pythonHas(modules: readonly string[]): boolean {
  if (!existsSync(PYTHON)) return false;
  return spawnSync(PYTHON, ['-c', modules.map((m) => `import ${m}`).join('; ')], { stdio: 'ignore' }).status === 0;
}

export function goHasOauth2(): boolean {
  const go = spawnSync('go', ['version'], { stdio: 'ignore' });
  return go.status === 0 && existsSync(`${DEBIAN_GOPATH}/src/golang.org/x/oauth2/clientcredentials/clientcredentials.go`);
}

/**
 * True when the tool is there. Otherwise: under CI=true the test fails (a CI run must never pass
 * by skipping the interop suite); locally it is skipped with a message nobody can miss.
 */
export function requireTool(t: TestContext, what: string, available: boolean, install: string): boolean {
  if (available) return true;
  const message = `interop: ${what} is missing (${install})`;
  if (process.env.CI === 'true') assert.fail(`${message}; CI=true, so this fails instead of skipping`);
  const bar = '!'.repeat(Math.min(100, message.length + 12));
  process.stderr.write(`\n${bar}\n!!! SKIPPED ${message}\n${bar}\n`);
  t.skip(message);
  return false;
}

/** Runs a program that prints one JSON object; its stderr is in the error when it fails. */
export function runJson(command: string, args: string[], env: Record<string, string> = {}, timeoutMs = 120_000): Promise<any> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { env: { ...process.env, ...env }, timeout: timeoutMs, maxBuffer: 4 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) return reject(new Error(`${command} ${args[0] ?? ''} failed: ${error.message}\n${stderr}`));
      try {
        resolve(JSON.parse(stdout));
      } catch {
        reject(new Error(`${command} printed no JSON: ${stdout}\n${stderr}`));
      }
    });
  });
}

/** The apps an interop run uses: a JWT app, an opaque-token app and a resource server that introspects. */
export async function interopApps(server: TestServer) {
  const jwt = await server.createApp({ name: 'interop jwt', scopes: ['contacts_read'] });
  const opaque = await server.createApp({ name: 'interop opaque', scopes: ['contacts_read'], tokenFormat: 'opaque' });
  const introspector = await server.createApp({ name: 'interop resource server', scopes: [] });
  return { jwt, opaque, introspector };
}

/** What Keymint itself says of a token a foreign client obtained: RFC 7662 as the resource server. */
export async function keymintSees(server: TestServer, introspector: { clientId: string; clientSecret: string }, token: string): Promise<Record<string, unknown>> {
  return (await introspect(server.issuer, introspector.clientId, introspector.clientSecret, token)).body;
}
