import type { ClientPublicKey } from '../crypto/client-keys.js';
import type { MasterKeyring } from '../crypto/keyring.js';
import type { ChangeFeed } from '../store/change-log.js';
import type { Db } from '../store/database.js';
import { CacheStats } from '../util/cache-stats.js';
import type { App } from './model.js';
import { toApp } from './rows.js';

/** An app with the hashes of its secrets: what client authentication needs, kept in memory. */
export interface ClientRecord {
  app: App;
  secrets: {
    id: string;
    hash: string;
    expiresAt: number | null;
    revokedAt: number | null;
    /** The AES-256-GCM copy (still sealed) when the app allows signed requests; null otherwise. */
    sealed?: string | null;
  }[];
  /** Public keys for private_key_jwt (empty for secret apps). */
  keys: ClientPublicKey[];
}

export interface ClientRecordsOptions {
  db: Db;
  keyring: MasterKeyring;
  /** Every write to an app or its secrets is announced here; the cached record is dropped. */
  changes: ChangeFeed;
}

/**
 * The token path's view of apps: records by client_id, from memory after the first read, so a
 * token request costs no query. Writes elsewhere reach it through the change feed.
 */
export class ClientRecords {
  private readonly records = new Map<string, Promise<ClientRecord | null>>();
  private readonly openedSecrets = new Map<string, { sealed: string; plaintext: string }>();
  readonly cacheStats = new CacheStats();
  private readonly db: Db;
  private readonly keyring: MasterKeyring;

  constructor({ db, keyring, changes }: ClientRecordsOptions) {
    this.db = db;
    this.keyring = keyring;
    changes.on('app', (change) => {
      this.records.delete(change.entityId);
      // Rare (admin writes): forgetting every opened secret keeps a revoked one's plaintext from lingering.
      this.openedSecrets.clear();
    });
    changes.onReset(() => {
      this.records.clear();
      this.openedSecrets.clear();
    });
  }

  /** The app and its secret hashes by client_id, or null for an unknown client. */
  find(clientId: string): Promise<ClientRecord | null> {
    let record = this.records.get(clientId);
    this.cacheStats.count(record !== undefined);
    if (!record) {
      record = this.load(clientId);
      // Bounded: a flood of made-up client ids must not grow memory without end.
      if (this.records.size >= 50_000) this.records.clear();
      this.records.set(clientId, record);
      record.catch(() => this.records.delete(clientId));
    }
    return record;
  }

  /**
   * The plaintext of a secret's sealed copy, for HMAC-signed requests (oauth/secret-matching.ts).
   * Opened once and then served from memory like the record itself: unsealing (AES-256-GCM) was
   * 6% of a signed request's event-loop time, and the master key that opens every sealed copy is
   * in this process's memory anyway. An entry is used only for the very sealed value it came from,
   * so a re-sealed (master-key rotation) or replaced secret is opened afresh.
   */
  openSealedSecret(sealed: string, secretId: string): string {
    const cached = this.openedSecrets.get(secretId);
    if (cached?.sealed === sealed) return cached.plaintext;
    const plaintext = this.keyring.open(sealed, `client_secret:${secretId}`);
    if (this.openedSecrets.size >= 50_000) this.openedSecrets.clear();
    this.openedSecrets.set(secretId, { sealed, plaintext });
    return plaintext;
  }

  private async load(clientId: string): Promise<ClientRecord | null> {
    const row = await this.db.selectFrom('apps').selectAll().where('client_id', '=', clientId).executeTakeFirst();
    if (!row) return null;
    const secrets = await this.db
      .selectFrom('app_secrets')
      .select(['id', 'secret_hash', 'expires_at', 'revoked_at', 'sealed_secret'])
      .where('app_id', '=', row.id)
      .where('revoked_at', 'is', null)
      .execute();
    const keys = await this.db.selectFrom('app_keys').select(['kid', 'thumbprint', 'jwk']).where('app_id', '=', row.id).execute();
    return {
      app: toApp(row),
      keys: keys.map((k) => ({ kid: k.kid, thumbprint: k.thumbprint, jwk: JSON.parse(k.jwk) as ClientPublicKey['jwk'] })),
      secrets: secrets.map((s) => ({
        id: s.id,
        hash: s.secret_hash,
        expiresAt: s.expires_at === null ? null : Number(s.expires_at),
        revokedAt: s.revoked_at === null ? null : Number(s.revoked_at),
        sealed: s.sealed_secret,
      })),
    };
  }
}
