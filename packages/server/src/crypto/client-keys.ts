import { calculateJwkThumbprint, compactVerify, decodeProtectedHeader, importJWK, type JWK, type ProtectedHeaderParameters } from 'jose';
import { CLIENT_ASSERTION_ALGORITHMS, type ClientAssertionAlgorithm } from './algorithms.js';

/**
 * Public keys of apps (private_key_jwt, RFC 7523 §2.2) and the JWS check of their assertions.
 * Only public keys of the kinds CLIENT_ASSERTION_ALGORITHMS can verify are accepted.
 */

/** A registered public key: the JWK as stored (public members only), with its RFC 7638 thumbprint. */
export interface ClientPublicKey {
  kid: string;
  thumbprint: string;
  jwk: JWK;
}

/** Why a JWK was refused; the caller turns it into its own 4xx. */
export class ClientKeyError extends Error {
  override name = 'ClientKeyError';
}

/** Members that only a private (or symmetric) key has (RFC 7518 §6.2.2, §6.3.2, §6.4.1). */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'] as const;

/** The key kind each algorithm verifies with (RFC 7518 §3.3-3.5, RFC 8037 §3.1). */
const KEY_KIND: Record<ClientAssertionAlgorithm, { kty: string; crv?: string }> = {
  ES256: { kty: 'EC', crv: 'P-256' },
  ES384: { kty: 'EC', crv: 'P-384' },
  EdDSA: { kty: 'OKP', crv: 'Ed25519' },
  RS256: { kty: 'RSA' },
  PS256: { kty: 'RSA' },
};
const CURVES: Record<string, string[]> = { EC: ['P-256', 'P-384'], OKP: ['Ed25519'] };
const MIN_RSA_BITS = 2048;

function isAlgorithm(alg: unknown): alg is ClientAssertionAlgorithm {
  return typeof alg === 'string' && (CLIENT_ASSERTION_ALGORITHMS as readonly string[]).includes(alg);
}

function member(jwk: Record<string, unknown>, name: string): string {
  const value = jwk[name];
  if (typeof value !== 'string' || !/^[A-Za-z0-9_-]+$/.test(value)) throw new ClientKeyError(`the key's "${name}" must be a base64url string`);
  return value;
}

/**
 * Checks one JWK from an operator's JWKS and keeps its public members only. Refuses private or
 * symmetric keys, kinds no allowed algorithm verifies (kty EC P-256/P-384, OKP Ed25519, RSA of at
 * least 2048 bits), an `alg` outside CLIENT_ASSERTION_ALGORITHMS or not matching the key, and a
 * `use` other than `sig`. A key without `kid` gets its thumbprint as kid.
 * @throws ClientKeyError naming what is wrong
 */
export async function parseClientPublicKey(input: unknown): Promise<ClientPublicKey> {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw new ClientKeyError('each key must be a JSON object (a JWK)');
  const jwk = input as Record<string, unknown>;
  const leaked = PRIVATE_MEMBERS.filter((name) => name in jwk);
  if (leaked.length > 0) {
    throw new ClientKeyError(`the key has private member(s) ${leaked.join(', ')}: register the public key only (never send the private key)`);
  }
  const kty = jwk.kty;
  if (kty !== 'EC' && kty !== 'OKP' && kty !== 'RSA') throw new ClientKeyError('kty must be EC, OKP or RSA');
  if (jwk.use !== undefined && jwk.use !== 'sig') throw new ClientKeyError('use must be "sig" when present');
  if (jwk.alg !== undefined) {
    if (!isAlgorithm(jwk.alg)) throw new ClientKeyError(`alg must be one of ${CLIENT_ASSERTION_ALGORITHMS.join(', ')}`);
    const kind = KEY_KIND[jwk.alg];
    if (kind.kty !== kty || (kind.crv !== undefined && kind.crv !== jwk.crv)) throw new ClientKeyError(`alg ${jwk.alg} does not match this key's kty/crv`);
  }
  if (jwk.kid !== undefined && (typeof jwk.kid !== 'string' || !/^[\x21-\x7e]{1,128}$/.test(jwk.kid))) {
    throw new ClientKeyError('kid must be 1-128 printable ASCII characters');
  }
  let publicJwk: JWK;
  if (kty === 'RSA') {
    const n = member(jwk, 'n');
    const bits = Buffer.from(n, 'base64url').length * 8;
    if (bits < MIN_RSA_BITS) throw new ClientKeyError(`RSA keys must have at least ${MIN_RSA_BITS} bits`);
    publicJwk = { kty, n, e: member(jwk, 'e') };
  } else {
    if (typeof jwk.crv !== 'string' || !CURVES[kty]!.includes(jwk.crv)) throw new ClientKeyError(`crv must be one of ${CURVES[kty]!.join(', ')} for kty ${kty}`);
    publicJwk = kty === 'EC' ? { kty, crv: jwk.crv, x: member(jwk, 'x'), y: member(jwk, 'y') } : { kty, crv: jwk.crv, x: member(jwk, 'x') };
  }
  try {
    await importJWK(publicJwk, jwk.alg as string | undefined ?? algorithmsFor(publicJwk)[0]);
  } catch {
    throw new ClientKeyError('the key is not a valid public key of its kty/crv');
  }
  const thumbprint = await calculateJwkThumbprint(publicJwk, 'sha256');
  const kid = (jwk.kid as string | undefined) ?? thumbprint;
  return { kid, thumbprint, jwk: storedPublicJwk({ ...publicJwk, alg: jwk.alg }, kid) };
}

/**
 * The form a registered key is stored and exported in: the public members of its kty, its `kid`,
 * its `alg` when it names one, and `use: "sig"`. Checks nothing (parseClientPublicKey does);
 * config as code compares a file's keys with the stored ones in this form.
 */
export function storedPublicJwk(jwk: Readonly<Record<string, unknown>>, kid: string): JWK {
  const members = jwk.kty === 'RSA' ? ['kty', 'n', 'e'] : jwk.kty === 'EC' ? ['kty', 'crv', 'x', 'y'] : ['kty', 'crv', 'x'];
  const stored: Record<string, string> = {};
  for (const name of members) if (typeof jwk[name] === 'string') stored[name] = jwk[name];
  return { ...stored, kid, ...(typeof jwk.alg === 'string' ? { alg: jwk.alg } : {}), use: 'sig' };
}

/** The allowed algorithms a key can verify (its `alg` alone when it names one). */
function algorithmsFor(jwk: JWK): ClientAssertionAlgorithm[] {
  if (isAlgorithm(jwk.alg)) return [jwk.alg];
  return CLIENT_ASSERTION_ALGORITHMS.filter((alg) => KEY_KIND[alg].kty === jwk.kty && (KEY_KIND[alg].crv === undefined || KEY_KIND[alg].crv === jwk.crv));
}

/** Header members that carry or point to a key (RFC 7515 §4.1.2-4.1.6): never trusted, so refused. */
const EMBEDDED_KEY_MEMBERS = ['jwk', 'jku', 'x5u', 'x5c'] as const;

/**
 * Verifies the JWS signature of a client assertion with one of `keys`: the key named by the
 * header's `kid`, or, without a kid, each key that can verify the header's `alg` in turn. Only
 * CLIENT_ASSERTION_ALGORITHMS; a header carrying a key (`jwk`, `jku`, `x5u`, `x5c`) is refused.
 * Returns the payload bytes, or null when no registered key verifies the signature.
 */
export async function verifyAssertionSignature(assertion: string, keys: readonly ClientPublicKey[]): Promise<Uint8Array | null> {
  let header: ProtectedHeaderParameters;
  try {
    header = decodeProtectedHeader(assertion);
  } catch {
    return null;
  }
  if (!isAlgorithm(header.alg) || EMBEDDED_KEY_MEMBERS.some((name) => name in header)) return null;
  const alg = header.alg;
  const candidates = keys.filter((key) => (header.kid === undefined || key.kid === header.kid) && algorithmsFor(key.jwk).includes(alg));
  for (const candidate of candidates) {
    try {
      const key = await importJWK(candidate.jwk, alg);
      const { payload } = await compactVerify(assertion, key, { algorithms: [alg] });
      return payload;
    } catch {
      // Not this key (or not a valid JWS at all): try the next one.
    }
  }
  return null;
}
