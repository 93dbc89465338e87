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
  readonly cacheStats = new CacheStats();
  private readonly db: Db;
  private readonly keyring: MasterKeyring;

  constructor({ db, keyring, changes }: ClientRecordsOptions) {
    this.db = db;
    this.keyring = keyring;
    changes.on('app', (change) => this.records.delete(change.entityId));
    changes.onReset(() => this.records.clear());
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

  /** The plaintext of a secret's sealed copy, for HMAC-signed requests (oauth/secret-matching.ts). */
  openSealedSecret(sealed: string, secretId: string): string {
    return this.keyring.open(sealed, `client_secret:${secretId}`);
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
