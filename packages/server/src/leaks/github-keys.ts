import type { KeyObject } from 'node:crypto';
import { p256PublicKey } from '../crypto/ecdsa.js';

/** Where GitHub publishes the keys that sign secret-scanning reports. */
export const GITHUB_SECRET_SCANNING_KEYS_URL = 'https://api.github.com/meta/public_keys/secret_scanning';

/** One published key: GitHub's `key_identifier` and the P-256 public key it names. */
export interface GitHubScanningKey {
  readonly keyIdentifier: string;
  readonly key: KeyObject;
}

/**
 * GitHub's key document `{public_keys: [{key_identifier, key, is_current}]}` (every listed key is
 * accepted, current or not: reports signed just before a rotation still arrive), or a sentence
 * saying what is wrong with it.
 */
export function parseGitHubKeys(document: unknown): GitHubScanningKey[] | string {
  const list = (document as { public_keys?: unknown } | null)?.public_keys;
  if (!Array.isArray(list) || list.length === 0) return 'a JSON object {"public_keys": [{"key_identifier", "key"}, …]} with at least one key';
  const keys: GitHubScanningKey[] = [];
  for (const [index, entry] of list.entries()) {
    const { key_identifier: keyIdentifier, key: pem } = (entry ?? {}) as { key_identifier?: unknown; key?: unknown };
    if (typeof keyIdentifier !== 'string' || keyIdentifier === '' || typeof pem !== 'string') return `public_keys[${index}] with a key_identifier and a key`;
    const key = p256PublicKey(pem);
    if (!key) return `public_keys[${index}].key to be a PEM EC P-256 public key`;
    keys.push({ keyIdentifier, key });
  }
  return keys;
}

export interface GitHubKeySourceOptions {
  /** Keys from KEYMINT_GITHUB_SECRET_SCANNING_KEYS: used as they are, nothing is fetched. */
  fixed: readonly GitHubScanningKey[] | null;
  /** Fetches GitHub's key document (production: GITHUB_SECRET_SCANNING_KEYS_URL). */
  download: () => Promise<unknown>;
  now: () => number;
  /** How long fetched keys are used before they are fetched again. */
  maxAgeMs?: number;
  /** An unknown key id fetches again at most this often (a forged id cannot make us hammer GitHub). */
  minRefetchMs?: number;
}

/**
 * The keys a report may be signed with: a fixed list, or GitHub's, fetched on first use, cached
 * for `maxAgeMs`, and fetched again early when a report names an unknown key id (GitHub rotated),
 * at most once per `minRefetchMs`; concurrent requests share one fetch.
 */
export class GitHubKeySource {
  private keys: readonly GitHubScanningKey[] = [];
  private fetchedAt = -Infinity;
  private inFlight: Promise<void> | null = null;
  private readonly maxAgeMs: number;
  private readonly minRefetchMs: number;

  constructor(private readonly options: GitHubKeySourceOptions) {
    this.maxAgeMs = options.maxAgeMs ?? 6 * 3_600_000;
    this.minRefetchMs = options.minRefetchMs ?? 60_000;
  }

  /** The key named `keyIdentifier`, or null. Throws when GitHub's keys cannot be fetched at all. */
  async find(keyIdentifier: string): Promise<KeyObject | null> {
    const { fixed, now } = this.options;
    if (fixed) return fixed.find((k) => k.keyIdentifier === keyIdentifier)?.key ?? null;
    const age = now() - this.fetchedAt;
    let found = this.keys.find((k) => k.keyIdentifier === keyIdentifier);
    if (age >= this.maxAgeMs || (!found && age >= this.minRefetchMs)) {
      await this.refresh();
      found = this.keys.find((k) => k.keyIdentifier === keyIdentifier);
    }
    return found?.key ?? null;
  }

  private refresh(): Promise<void> {
    this.inFlight ??= (async () => {
      let fetched = false;
      try {
        const keys = parseGitHubKeys(await this.options.download());
        if (typeof keys === 'string') throw new Error(`GitHub's secret-scanning keys: expected ${keys}`);
        this.keys = keys;
        fetched = true;
      } finally {
        // A failed fetch keeps the keys it had and is tried again after minRefetchMs, not maxAgeMs.
        this.fetchedAt = this.options.now() - (fetched ? 0 : this.maxAgeMs - this.minRefetchMs);
        this.inFlight = null;
      }
    })();
    return this.inFlight;
  }
}

/** GitHub's key document over HTTPS, bounded in time and size, redirects not followed. */
export async function downloadGitHubKeys(url = GITHUB_SECRET_SCANNING_KEYS_URL): Promise<unknown> {
  const response = await fetch(url, { headers: { accept: 'application/json', 'user-agent': 'keymint' }, redirect: 'error', signal: AbortSignal.timeout(5_000) });
  if (!response.ok) throw new Error(`GitHub's secret-scanning keys: HTTP ${response.status} from ${url}`);
  const text = await response.text();
  if (text.length > 100_000) throw new Error(`GitHub's secret-scanning keys: answer too large from ${url}`);
  return JSON.parse(text) as unknown;
}
