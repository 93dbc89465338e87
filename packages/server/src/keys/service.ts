import type { JWK } from 'jose';
import { sha256 } from '../crypto/hash.js';
import { JwtSigner } from '../crypto/jwt.js';
import { open, seal } from '../crypto/seal.js';
import { generateSigningKey, importPrivateKey, type SigningAlgorithm } from '../crypto/signing-keys.js';
import { ServerError } from '../errors.js';
import { recordChange, type ChangeFeed } from '../store/change-log.js';
import type { Db } from '../store/database.js';
import type { SigningKeyRow } from '../store/schema.js';
import type { KeyState, SigningKeyInfo } from './model.js';

/** What a tenant publishes and signs with, decrypted once and kept in memory. */
export interface TenantKeyRing {
  /** Signs RFC 9068 app access tokens (`typ: at+jwt`). */
  accessTokenSigner: JwtSigner;
  /** The JWKS document, serialised once. */
  jwksJson: string;
  etag: string;
}

function toInfo(row: SigningKeyRow): SigningKeyInfo {
  return {
    kid: row.kid,
    alg: row.alg as SigningAlgorithm,
    state: row.state as KeyState,
    publicJwk: JSON.parse(row.public_jwk) as JWK,
    createdAt: Number(row.created_at),
    activatedAt: row.activated_at === null ? null : Number(row.activated_at),
    retiredAt: row.retired_at === null ? null : Number(row.retired_at),
    removeAfter: row.remove_after === null ? null : Number(row.remove_after),
  };
}

export class KeyService {
  private readonly rings = new Map<string, Promise<TenantKeyRing>>();

  constructor(
    private readonly db: Db,
    private readonly masterKey: Buffer,
    private readonly changes: ChangeFeed,
    private readonly now: () => number,
  ) {
    changes.on('signing_key', (change) => this.rings.delete(change.tenantId));
  }

  /** Gives a tenant a signing key when it has none in state `current` (first start, new tenant). */
  async ensureCurrentKey(tenantId: string, alg: SigningAlgorithm = 'ES256'): Promise<void> {
    const current = await this.db
      .selectFrom('signing_keys')
      .select('kid')
      .where('tenant_id', '=', tenantId)
      .where('state', '=', 'current')
      .executeTakeFirst();
    if (current) return;
    await this.insertKey(tenantId, alg, 'current');
  }

  async list(tenantId: string): Promise<SigningKeyInfo[]> {
    const rows = await this.db.selectFrom('signing_keys').selectAll().where('tenant_id', '=', tenantId).orderBy('created_at').execute();
    return rows.map(toInfo);
  }

  /** The tenant's signer and JWKS; loaded once, then served from memory until a key changes. */
  ring(tenantId: string): Promise<TenantKeyRing> {
    let ring = this.rings.get(tenantId);
    if (!ring) {
      ring = this.loadRing(tenantId);
      this.rings.set(tenantId, ring);
      ring.catch(() => this.rings.delete(tenantId));
    }
    return ring;
  }

  private async insertKey(tenantId: string, alg: SigningAlgorithm, state: KeyState): Promise<SigningKeyInfo> {
    const generated = await generateSigningKey(alg);
    const now = this.now();
    const row: SigningKeyRow = {
      kid: generated.kid,
      tenant_id: tenantId,
      alg,
      state,
      public_jwk: JSON.stringify(generated.publicJwk),
      private_key_sealed: seal(this.masterKey, generated.privatePkcs8, `signing_key:${generated.kid}`),
      created_at: now,
      activated_at: state === 'current' ? now : null,
      retired_at: null,
      remove_after: null,
    };
    await this.db.transaction().execute(async (trx) => {
      await trx.insertInto('signing_keys').values(row).execute();
      await recordChange(trx, { tenantId, entity: 'signing_key', entityId: generated.kid }, now);
    });
    this.changes.emit({ tenantId, entity: 'signing_key', entityId: generated.kid });
    return toInfo(row);
  }

  private async loadRing(tenantId: string): Promise<TenantKeyRing> {
    const rows = await this.db.selectFrom('signing_keys').selectAll().where('tenant_id', '=', tenantId).execute();
    const current = rows
      .filter((r) => r.state === 'current')
      .sort((a, b) => Number(b.activated_at ?? 0) - Number(a.activated_at ?? 0))[0];
    if (!current) throw new ServerError('this tenant has no current signing key');
    const privateKey = importPrivateKey(open(this.masterKey, current.private_key_sealed, `signing_key:${current.kid}`));
    const jwksJson = JSON.stringify({ keys: rows.map((r) => JSON.parse(r.public_jwk) as JWK) });
    return {
      accessTokenSigner: new JwtSigner(current.kid, current.alg as SigningAlgorithm, privateKey, 'at+jwt'),
      jwksJson,
      etag: `"${sha256(jwksJson).slice(0, 27)}"`,
    };
  }
}
