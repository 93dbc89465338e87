import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** GitHub's expected answer (labels per match), or an error body `{error}` on a refusal. */
export type GitHubAnswer = { token_raw: string; token_type: string; label: string }[] & { error?: string };

/** A P-256 key standing in for GitHub's: its private half signs reports, its public half is in a key file. */
export interface FakeGitHub {
  /** KEYMINT_GITHUB_SECRET_SCANNING_KEYS for a test server. */
  env: Record<string, string>;
  keyIdentifier: string;
  /** GitHub's headers for `body`: signed by this key over exactly these bytes, unless `signedBytes` differ. */
  headers(body: string, signedBytes?: string): Record<string, string>;
  /** POSTs a report to `{url}/leaks/github`, signed; the answer parsed. */
  report(url: string, matches: unknown, headers?: Record<string, string>): Promise<{ status: number; body: GitHubAnswer }>;
}

/** A key file in GitHub's published format (`{public_keys: [...]}`) holding one new P-256 key. */
export function fakeGitHub(keyIdentifier = 'bcb53661c06b4728e59d897fb6165d5c9cda0fd9cdf9d09ead458168deb7518c'): FakeGitHub {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const file = join(mkdtempSync(join(tmpdir(), 'keymint-gh-keys-')), 'keys.json');
  writeFileSync(file, JSON.stringify({ public_keys: [{ key_identifier: keyIdentifier, key: publicKey.export({ type: 'spki', format: 'pem' }), is_current: true }] }));
  const headers = (body: string, signedBytes = body) => signedHeaders(privateKey, keyIdentifier, signedBytes);
  return {
    env: { KEYMINT_GITHUB_SECRET_SCANNING_KEYS: file },
    keyIdentifier,
    headers,
    async report(url, matches, extra = {}) {
      const body = JSON.stringify(matches);
      const response = await fetch(`${url}/leaks/github`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers(body), ...extra }, body });
      const text = await response.text();
      return { status: response.status, body: JSON.parse(text) as GitHubAnswer };
    },
  };
}

function signedHeaders(privateKey: KeyObject, keyIdentifier: string, bytes: string): Record<string, string> {
  return {
    'github-public-key-identifier': keyIdentifier,
    'github-public-key-signature': sign('sha256', Buffer.from(bytes), privateKey).toString('base64'),
  };
}
