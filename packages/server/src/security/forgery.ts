// Test support for the security suite: builds JWS compact tokens byte by byte, signed with a
// tenant's real private key (opened with the master key, as the server does) or with an
// attacker's own key, so that each forged token fails for exactly one reason. Tests only:
// nothing in the server imports this file.
import { createPrivateKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import type { JWK } from 'jose';
import type { MasterKeyring } from '../crypto/keyring.js';
import type { Db } from '../store/database.js';
import type { TenantService } from '../tenants/service.js';

/** Where a tenant's signing keys are: its rows, and the master key that opens them. */
export interface StoredKeys {
  tenants: Pick<TenantService, 'get'>;
  db: Db;
  keyring: Pick<MasterKeyring, 'open'>;
}

export interface TenantSigningKey {
  kid: string;
  alg: string;
  state: string;
  privateKey: KeyObject;
  publicJwk: JWK;
}

/** The tenant's signing keys as stored, private parts opened with the server's master key. */
export async function tenantSigningKeys({ tenants, db, keyring }: StoredKeys, slug = 'default'): Promise<TenantSigningKey[]> {
  const tenant = await tenants.get(slug);
  const rows = await db.selectFrom('signing_keys').selectAll().where('tenant_id', '=', tenant.id).execute();
  return rows.map((row) => ({
    kid: row.kid,
    alg: row.alg,
    state: row.state,
    privateKey: createPrivateKey(keyring.open(row.private_key_sealed, `signing_key:${row.kid}`)),
    publicJwk: JSON.parse(row.public_jwk) as JWK,
  }));
}

/** The key that signs now. */
export async function currentSigningKey(stored: StoredKeys, slug = 'default'): Promise<TenantSigningKey> {
  const current = (await tenantSigningKeys(stored, slug)).find((key) => key.state === 'current');
  if (!current) throw new Error(`tenant ${slug} has no current key`);
  return current;
}

/** An attacker's own P-256 key pair. */
export function attackerKeyPair(): { privateKey: KeyObject; publicJwk: JWK } {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { privateKey, publicJwk: publicKey.export({ format: 'jwk' }) as JWK };
}

export function b64url(data: string | Buffer): string {
  return Buffer.from(data).toString('base64url');
}

/** A JSON object as text, or text as given (to forge duplicates, odd spacing, non-objects). */
function text(value: object | string): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** ES256 over `header.payload` as given; `der` makes the (invalid for JWS) ASN.1 form. */
export function es256(signingInput: string, key: KeyObject, encoding: 'ieee-p1363' | 'der' = 'ieee-p1363'): Buffer {
  return sign('sha256', Buffer.from(signingInput), { key, dsaEncoding: encoding });
}

/** A compact JWS whose header and payload are exactly the given JSON (objects or raw text). */
export function signCompact(header: object | string, payload: object | string, key: KeyObject): string {
  const input = `${b64url(text(header))}.${b64url(text(payload))}`;
  return `${input}.${b64url(es256(input, key))}`;
}

/** The parts of a compact token. */
export function split(token: string): { header: string; payload: string; signature: Buffer; input: string } {
  const [header = '', payload = '', signature = ''] = token.split('.');
  return { header, payload, signature: Buffer.from(signature, 'base64url'), input: `${header}.${payload}` };
}
