import { HTTP_TIMEOUT_MS, type FetchLike } from './discovery.js';
import { RevocationFeedError } from './errors.js';

/**
 * One entry of the revocation feed: a single token by `jti`, every token of a client issued before
 * a time, or every access token of an end-user session (`sid`) until `exp`.
 */
export type RevocationEntry = { jti: string; exp: number } | { client_id: string; issued_before: number } | { sid: string; exp: number };

/** `GET {issuer}/oauth/revocations` response (DESIGN "HTTP contract"). */
export interface RevocationFeedPage {
  revocations: RevocationEntry[];
  cursor: string;
}

export interface RevocationFeedOptions {
  issuer: string;
  fetch: FetchLike;
  /** Milliseconds between polls. */
  pollMs: number;
  now: () => number;
  onError: (error: RevocationFeedError) => void;
}

/**
 * Keeps this process's copy of the issuer's revocation feed, so that a revoked JWT stops
 * verifying within one poll although verification is otherwise local. The first request has no
 * `since` and returns every revocation still in force; each later one sends the last `cursor` and
 * the last ETag (`If-None-Match`; 304 means nothing new). An issuer without the feed (404) is not
 * an error: polling just stops. Timers are unref'd so a verifier never keeps a process alive.
 */
export class RevocationFeed {
  private readonly jtis = new Map<string, number>();
  private readonly clients = new Map<string, number>();
  private readonly sessions = new Map<string, number>();
  private cursor: string | null = null;
  private etag: string | null = null;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private polling: Promise<void> | null = null;
  /** Settles once the first poll has finished (well or not): verifications wait for it. */
  readonly ready: Promise<void>;

  constructor(private readonly options: RevocationFeedOptions) {
    this.ready = this.poll();
    this.schedule();
  }

  /** True when the token with these claims has been revoked. */
  isRevoked(claims: { jti?: unknown; client_id?: unknown; iat?: unknown; sid?: unknown }): boolean {
    if (typeof claims.jti === 'string' && this.jtis.has(claims.jti)) return true;
    if (typeof claims.sid === 'string' && this.sessions.has(claims.sid)) return true;
    if (typeof claims.client_id === 'string') {
      const before = this.clients.get(claims.client_id);
      if (before !== undefined && typeof claims.iat === 'number' && claims.iat < before) return true;
    }
    return false;
  }

  /** Fetches what is new; concurrent calls share one request. */
  poll(): Promise<void> {
    this.polling ??= this.fetchPage().finally(() => {
      this.polling = null;
    });
    return this.polling;
  }

  close(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      void this.poll().then(() => this.schedule());
    }, this.options.pollMs);
    this.timer.unref();
  }

  private async fetchPage(): Promise<void> {
    const { issuer, fetch: fetchImpl, onError } = this.options;
    try {
      const url = `${issuer}/oauth/revocations${this.cursor === null ? '' : `?since=${encodeURIComponent(this.cursor)}`}`;
      const headers: Record<string, string> = { accept: 'application/json' };
      if (this.etag) headers['if-none-match'] = this.etag;
      const response = await fetchImpl(url, { headers, signal: AbortSignal.timeout(HTTP_TIMEOUT_MS) });
      if (response.status === 404) {
        // The issuer does not publish a feed: nothing to poll, and nothing worth reporting.
        await response.body?.cancel();
        this.close();
        return;
      }
      if (response.status === 304) {
        await response.body?.cancel();
        return;
      }
      if (!response.ok) {
        await response.body?.cancel();
        throw new RevocationFeedError('ERR_REVOCATION_FEED_STATUS', `revocation feed answered HTTP ${response.status}`, response.status);
      }
      const page = (await response.json().catch(() => null)) as RevocationFeedPage | null;
      if (page === null || typeof page !== 'object' || !Array.isArray(page.revocations) || typeof page.cursor !== 'string') {
        throw new RevocationFeedError('ERR_REVOCATION_FEED_MALFORMED', 'revocation feed response is not {revocations, cursor}', response.status);
      }
      this.apply(page.revocations);
      this.cursor = page.cursor;
      this.etag = response.headers.get('etag');
    } catch (error) {
      onError(error instanceof RevocationFeedError ? error : new RevocationFeedError('ERR_REVOCATION_FEED_UNREACHABLE', `revocation feed could not be fetched: ${(error as Error).message}`, 0, { cause: error }));
    } finally {
      this.prune();
    }
  }

  private apply(entries: RevocationEntry[]): void {
    for (const entry of entries) {
      if (entry === null || typeof entry !== 'object') continue;
      if ('jti' in entry && typeof entry.jti === 'string' && typeof entry.exp === 'number') {
        this.jtis.set(entry.jti, entry.exp);
      } else if ('sid' in entry && typeof entry.sid === 'string' && typeof entry.exp === 'number') {
        this.sessions.set(entry.sid, Math.max(entry.exp, this.sessions.get(entry.sid) ?? 0));
      } else if ('client_id' in entry && typeof entry.client_id === 'string' && typeof entry.issued_before === 'number') {
        this.clients.set(entry.client_id, Math.max(entry.issued_before, this.clients.get(entry.client_id) ?? 0));
      }
    }
  }

  /**
   * A revoked token past its `exp` (plus a minute, more than any verifier's clock tolerance)
   * fails verification anyway: forget it, so the set stays small.
   */
  private prune(): void {
    const nowSeconds = this.options.now() / 1000;
    for (const [jti, exp] of this.jtis) if (exp + 60 < nowSeconds) this.jtis.delete(jti);
    for (const [sid, exp] of this.sessions) if (exp + 60 < nowSeconds) this.sessions.delete(sid);
  }
}
