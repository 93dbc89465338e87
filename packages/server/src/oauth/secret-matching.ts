import { safeEqual, sha256 } from '../crypto/hash.js';
import type { ClientRecord } from '../apps/service.js';

type Secret = ClientRecord['secrets'][number];

/**
 * The seams of the comparison, so a unit test can count the work done (the decoy for unknown
 * clients is a timing property no response shows). Production uses the defaults.
 */
export interface MatchingPrimitives {
  hash: (value: string) => string;
  compare: (a: string, b: string) => boolean;
}

const PRIMITIVES: MatchingPrimitives = { hash: sha256, compare: safeEqual };

// A well-formed hash and secret that match nothing: a client with no secret to check (unknown,
// another tenant's, no sealed copy) is checked against these, so "no such client" and "wrong
// secret" cost the same hash and comparison and the time tells no one which client ids exist.
const DECOY_HASH = sha256('keymint-decoy-secret');
const DECOY_SECRET = 'kms_keymint-decoy-secret';

function usable(secret: Secret, now: number): boolean {
  return secret.revokedAt === null && (secret.expiresAt === null || secret.expiresAt > now);
}

/**
 * RFC 6749 §2.3.1 (`client_secret_basic` / `client_secret_post`): the id of the client's active
 * secret the presented one hashes to, or null. One hash, then a constant-time comparison with
 * every secret of the client (no early exit, revoked and expired ones included, so the time does
 * not say which matched or how many are live); a null record is compared with a decoy instead.
 */
export function matchClientSecret(record: ClientRecord | null, presented: string, now: number, primitives: MatchingPrimitives = PRIMITIVES): string | null {
  const hash = primitives.hash(presented);
  if (!record) {
    primitives.compare(hash, DECOY_HASH);
    return null;
  }
  let matched: string | null = null;
  for (const secret of record.secrets) {
    if (primitives.compare(hash, secret.hash) && usable(secret, now)) matched = secret.id;
  }
  return matched;
}

/**
 * Signed-request profile (docs/profiles.md): which active secret signed a request. `verify` gets
 * each recoverable secret in turn (`open` unseals it), all of them with no early exit; a client
 * with none (unknown, or not allowing signed requests) costs one decoy verification instead.
 */
export function matchSignedSecret(
  record: ClientRecord | null,
  verify: (secret: string) => boolean,
  open: (sealed: string, secretId: string) => string,
  now: number,
): string | null {
  const sealed = (record?.secrets ?? []).filter((secret) => typeof secret.sealed === 'string');
  if (sealed.length === 0) {
    verify(DECOY_SECRET);
    return null;
  }
  let matched: string | null = null;
  for (const secret of sealed) {
    if (verify(open(secret.sealed as string, secret.id)) && usable(secret, now)) matched = secret.id;
  }
  return matched;
}
