import { sha256 } from '../crypto/hash.js';
import { newJti } from '../crypto/random.js';
import { generateToken, hasValidFormat, TOKEN_PREFIXES } from '../crypto/token-format.js';
import { recordChange, type ChangeFeed } from '../store/change-log.js';
import type { Db } from '../store/database.js';
import type { InRevocation } from '../leaks/service.js';
import { GroupCommit } from '../store/group-commit.js';
import type { OpaqueTokenRow } from '../store/schema.js';
import { parseStringList } from '../util/json.js';

/** A live opaque access token as the introspection and resource paths see it. */
export interface OpaqueToken {
  hash: string;
  tenantId: string;
  tenantSlug: string;
  clientId: string;
  jti: string;
  scopes: string[];
  audience: string;
  /** Epoch ms */
  issuedAt: number;
  expiresAt: number;
  /** RFC 9449: thumbprint of the DPoP key the token is bound to; null for a Bearer token. */
  jkt: string | null;
}

export interface NewOpaqueToken {
  tenantId: string;
  clientId: string;
  scopes: string[];
  audience: string;
  issuedAt: number;
  expiresAt: number;
  /** RFC 9449: bind the token to this DPoP key thumbprint. */
  jkt?: string;
}

const MAX_CACHED = 100_000;

/**
 * `kma_` access tokens: random, stored as SHA-256 with client, scopes, audience and expiry.
 * Revoked tokens are deleted; expired ones are purged on a schedule, so the table holds only
 * live tokens. Valid lookups are cached until expiry; revocation clears them on every node.
 */
export class OpaqueTokenService {
  private readonly cache = new Map<string, OpaqueToken>();
  // Batches stay under SQLite's bound-parameter limit (10 columns × 500 rows).
  private readonly inserts = new GroupCommit<OpaqueTokenRow>(async (rows) => {
    await this.db.insertInto('opaque_tokens').values(rows).execute();
  }, 500);

  constructor(
    private readonly db: Db,
    private readonly changes: ChangeFeed,
    private readonly now: () => number,
  ) {
    changes.on('opaque_token', (change) => this.cache.delete(change.entityId));
    // Disabling an app or revoking all its tokens deletes its rows: drop them from memory too.
    const dropClient = (change: { entityId: string }) => {
      for (const [hash, token] of this.cache) if (token.clientId === change.entityId) this.cache.delete(hash);
    };
    changes.on('app', dropClient);
    changes.on('revocation', dropClient);
    changes.onReset(() => this.cache.clear());
  }

  /**
   * Stores a new token and returns its plaintext (shown once, to the client) once the row has
   * committed; concurrent issues share one INSERT (group commit).
   */
  async issue(token: NewOpaqueToken): Promise<string> {
    const plaintext = generateToken(TOKEN_PREFIXES.opaqueAccessToken);
    await this.inserts.add(this.toRow(sha256(plaintext), token));
    return plaintext;
  }

  /**
   * Stores many tokens in a few statements (bulk loads and tests); returns the plaintexts.
   * Batches stay under SQLite's bound-parameter limit.
   */
  async issueMany(tokens: NewOpaqueToken[]): Promise<string[]> {
    const plaintexts = tokens.map(() => generateToken(TOKEN_PREFIXES.opaqueAccessToken));
    const rows = tokens.map((token, i) => this.toRow(sha256(plaintexts[i]!), token));
    await this.db.transaction().execute(async (trx) => {
      for (let i = 0; i < rows.length; i += 1_000) await trx.insertInto('opaque_tokens').values(rows.slice(i, i + 1_000)).execute();
    });
    return plaintexts;
  }

  /** The live token, or null (malformed, unknown, revoked, expired). No database read when malformed. */
  async find(plaintext: string): Promise<OpaqueToken | null> {
    if (!hasValidFormat(plaintext, TOKEN_PREFIXES.opaqueAccessToken)) return null;
    const hash = sha256(plaintext);
    let token = this.cache.get(hash);
    if (!token) {
      const row = await this.db
        .selectFrom('opaque_tokens')
        .innerJoin('tenants', 'tenants.id', 'opaque_tokens.tenant_id')
        .selectAll('opaque_tokens')
        .select('tenants.slug')
        .where('opaque_tokens.token_hash', '=', hash)
        .executeTakeFirst();
      if (!row) return null;
      token = toToken(row, row.slug);
      if (this.cache.size >= MAX_CACHED) this.cache.clear();
      this.cache.set(hash, token);
    }
    if (token.expiresAt <= this.now()) {
      this.cache.delete(hash);
      return null;
    }
    return token;
  }

  /**
   * Deletes one token (RFC 7009); true when this call deleted it (false: a concurrent one did).
   * `alsoIn` runs in the deletion's transaction when this call deleted it (leaks/: credential.leaked).
   */
  async revoke(token: OpaqueToken, alsoIn?: InRevocation): Promise<boolean> {
    const now = this.now();
    const deleted = await this.db.transaction().execute(async (trx) => {
      const result = await trx.deleteFrom('opaque_tokens').where('token_hash', '=', token.hash).executeTakeFirst();
      await recordChange(trx, { tenantId: token.tenantId, entity: 'opaque_token', entityId: token.hash }, now);
      if (Number(result.numDeletedRows) !== 1) return false;
      await alsoIn?.(trx, { tenantId: token.tenantId, id: token.jti });
      return true;
    });
    this.changes.emit({ tenantId: token.tenantId, entity: 'opaque_token', entityId: token.hash });
    return deleted;
  }

  /** A leaked `kma_` token (leaks/): deleted like `revoke` when it is live; its tenant and jti, else null. */
  async revokeLeaked(plaintext: string, alsoIn?: InRevocation): Promise<{ tenantId: string; id: string } | null> {
    const token = await this.find(plaintext);
    if (!token) return null;
    return (await this.revoke(token, alsoIn)) ? { tenantId: token.tenantId, id: token.jti } : null;
  }

  /**
   * Deletes every token of a client inside the caller's transaction (app disabled, all tokens
   * revoked); the caller's revocation change clears every node's cache of them.
   */
  async revokeClient(trx: Db, clientId: string): Promise<void> {
    await trx.deleteFrom('opaque_tokens').where('client_id', '=', clientId).execute();
  }

  /** Deletes expired tokens; returns how many went. */
  async purgeExpired(): Promise<number> {
    const result = await this.db.deleteFrom('opaque_tokens').where('expires_at', '<=', this.now()).executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  async count(tenantId?: string): Promise<number> {
    let query = this.db.selectFrom('opaque_tokens').select((eb) => eb.fn.countAll<number>().as('n'));
    if (tenantId) query = query.where('tenant_id', '=', tenantId);
    return Number((await query.executeTakeFirstOrThrow()).n);
  }

  private toRow(hash: string, token: NewOpaqueToken): OpaqueTokenRow {
    return {
      token_hash: hash,
      tenant_id: token.tenantId,
      client_id: token.clientId,
      jti: newJti(),
      scopes: JSON.stringify(token.scopes),
      audience: token.audience,
      issued_at: token.issuedAt,
      expires_at: token.expiresAt,
      jkt: token.jkt ?? null,
    };
  }
}

function toToken(row: OpaqueTokenRow, tenantSlug: string): OpaqueToken {
  return {
    hash: row.token_hash,
    tenantId: row.tenant_id,
    tenantSlug,
    clientId: row.client_id,
    jti: row.jti,
    scopes: parseStringList(row.scopes),
    audience: row.audience,
    issuedAt: Number(row.issued_at),
    expiresAt: Number(row.expires_at),
    jkt: row.jkt,
  };
}
