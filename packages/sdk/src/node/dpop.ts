import { createHash, randomUUID } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, jwtVerify, SignJWT, errors as joseErrors, type CryptoKey, type JWK, type JWTPayload } from 'jose';
import { hasDuplicateMemberNames } from './compact.js';
import { DpopNonceError, DpopProofError, OptionError } from './errors.js';

/**
 * RFC 9449 DPoP (Demonstrating Proof of Possession): proof verification, shared by Keymint's
 * token endpoint, its resource API and customers' APIs through {@link createDpopVerifier}, and
 * proof creation for clients ({@link generateDpopKey}, {@link createDpopProof}).
 */

/**
 * Asymmetric algorithms accepted for DPoP proofs (RFC 9449 §4.3 step 5: never `none`, never a
 * MAC). `Ed25519` is RFC 9864's fully specified name for EdDSA over Ed25519, which openid-client
 * and oauth4webapi use by default for such keys.
 */
export const DPOP_ALGORITHMS = ['ES256', 'ES384', 'EdDSA', 'Ed25519', 'RS256', 'PS256'] as const;
/** One of {@link DPOP_ALGORITHMS}. */
export type DpopAlgorithm = (typeof DPOP_ALGORITHMS)[number];

/**
 * Seconds a proof's `iat` may be from the verifier's clock, either way (RFC 9449 §11.1 "a
 * relatively short period"): a proof is accepted from `iat - 60` to `iat + 60`, plus the
 * verifier's clock leeway. Its `jti` is remembered for the whole window.
 */
export const DPOP_IAT_WINDOW_SECONDS = 60;

/** RFC 9449 §4.2 proofs are small: a header, a public key, six claims. Anything bigger is refused before parsing. */
export const MAX_DPOP_PROOF_LENGTH = 8 * 1024;

/** JWK members that only a private (or symmetric) key has (RFC 7518 §6.2.2, §6.3.2, §6.4.1; RFC 8037 §2). */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'] as const;

const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

/** `base64url(SHA-256(accessToken))`: the `ath` claim of a proof sent with that token (RFC 9449 §4.2). */
export function accessTokenHash(accessToken: string): string {
  return createHash('sha256').update(accessToken, 'ascii').digest('base64url');
}

/**
 * The `htu` of a request URL (RFC 9449 §4.3 step 9): scheme and host lowercased, default port
 * dropped, percent-encoding and dot segments normalised (RFC 3986 §6.2.2–6.2.3, by WHATWG URL),
 * query and fragment removed.
 * @throws {TypeError} `url` is not an absolute URL
 */
export function normalizeHtu(url: string | URL): string {
  const parsed = new URL(url);
  parsed.search = '';
  parsed.hash = '';
  return parsed.href;
}

/** What a request says about itself, for checking its proof. */
export interface DpopRequest {
  /** The `DPoP` header(s) of the request: exactly one is accepted (RFC 9449 §4.3 step 1). */
  proof: string | string[] | undefined;
  /** The HTTP method, e.g. `GET` (compared with `htm`, case-sensitively as RFC 9110 methods are). */
  method: string;
  /** The absolute URL the request was sent to, as the client saw it (compared with `htu` after {@link normalizeHtu}). */
  url: string;
  /** At a resource server: the access token of the request; its hash must be the proof's `ath`. */
  accessToken?: string;
  /** At a resource server: the token's `cnf.jkt`; the proof must be signed by the key of that thumbprint. */
  jkt?: string;
}

/** A proof that passed every check. */
export interface VerifiedDpopProof {
  /** RFC 7638 SHA-256 thumbprint of the proof key (base64url): what a bound token's `cnf.jkt` holds. */
  jkt: string;
  jti: string;
  /** Epoch seconds. */
  iat: number;
  /** The public key of the proof. */
  jwk: JWK;
  alg: DpopAlgorithm;
}

/**
 * Server-provided nonces (RFC 9449 §8, §9). `current()` is what a client is told to use;
 * `accepts(nonce)` whether a nonce a proof carries is still good. Keymint's server derives both
 * from a key and a time bucket, so every node agrees without shared state.
 */
export interface DpopNoncePolicy {
  current(): string;
  accepts(nonce: string): boolean;
}

export interface DpopVerifierOptions {
  /** Accepted `alg` values; default every one of {@link DPOP_ALGORITHMS}. Others are ignored. */
  algorithms?: readonly DpopAlgorithm[];
  /** Seconds either way from now a proof's `iat` may be; default {@link DPOP_IAT_WINDOW_SECONDS}, at most 300. */
  iatWindowSeconds?: number;
  /** Extra seconds of clock skew on top of the window; default 5. */
  clockToleranceSeconds?: number;
  /**
   * Claims a proof's `jti` once: resolves true when it was new, false for a replay. `scope` is
   * `dpop:{jkt}`; `expiresAtMs` is when the proof's window closes (the entry may be forgotten
   * then). Default: an in-memory store of this process, bounded to 100 000 live entries (fail
   * closed when full). With several processes, pass a shared store (Redis `SET NX PX`, a unique row).
   */
  claimJti?: (scope: string, jti: string, expiresAtMs: number) => Promise<boolean>;
  /** Demand server nonces (RFC 9449 §8/§9): a proof without a good one gets {@link DpopNonceError}. */
  nonce?: DpopNoncePolicy;
  /** Clock in epoch milliseconds; default `Date.now`. */
  now?: () => number;
}

export interface DpopVerifier {
  /**
   * Checks the proof of one request (RFC 9449 §4.3): one `DPoP` header, a compact JWS with
   * `typ` `dpop+jwt`, an allowed asymmetric `alg`, a public `jwk` (no private members) that
   * verifies the signature, `htm` and `htu` of this request, `iat` within the window, a new
   * `jti`, `ath` when `accessToken` is given, the key of `jkt` when given, and a good `nonce`
   * when nonces are demanded. The `jti` is claimed last, so a proof refused for another reason
   * does not use it up.
   * @throws {DpopProofError} `invalid_dpop_proof`, `.code` says why ({@link DpopProofErrorCode})
   * @throws {DpopNonceError} `use_dpop_nonce`: retry with `.nonce` (send it as the `DPoP-Nonce` header)
   */
  verify(request: DpopRequest): Promise<VerifiedDpopProof>;
  /** The algorithms accepted, for `dpop_signing_alg_values_supported` and `algs` challenge parameters. */
  readonly algorithms: readonly DpopAlgorithm[];
}

/**
 * Creates a DPoP proof verifier (RFC 9449 §4.3 at a token endpoint, §7.1 at a resource server).
 *
 * @example
 * const dpop = createDpopVerifier();
 * const proof = await dpop.verify({ proof: req.headers.dpop, method: 'GET', url: 'https://api.example.com/contacts', accessToken, jkt: claims.cnf.jkt });
 * @throws {OptionError} `ERR_OPTION_INVALID`: an algorithm outside {@link DPOP_ALGORITHMS}
 */
export function createDpopVerifier(options: DpopVerifierOptions = {}): DpopVerifier {
  const algorithms = [...(options.algorithms ?? DPOP_ALGORITHMS)];
  for (const alg of algorithms) {
    if (!(DPOP_ALGORITHMS as readonly string[]).includes(alg)) throw new OptionError('ERR_OPTION_INVALID', 'algorithms', `${String(alg)} is not a DPoP algorithm Keymint accepts`);
  }
  const window = Math.min(Math.max(options.iatWindowSeconds ?? DPOP_IAT_WINDOW_SECONDS, 1), 300);
  const leeway = Math.min(Math.max(options.clockToleranceSeconds ?? 5, 0), 60);
  const now = options.now ?? Date.now;
  const claimJti = options.claimJti ?? memoryJtiStore(now);

  async function verify(request: DpopRequest): Promise<VerifiedDpopProof> {
    const headers = request.proof === undefined ? [] : Array.isArray(request.proof) ? request.proof : [request.proof];
    if (headers.length === 0) throw new DpopProofError('ERR_DPOP_MISSING', 'this request needs a DPoP proof (the DPoP header)');
    if (headers.length > 1) throw new DpopProofError('ERR_DPOP_MALFORMED', 'send one DPoP header');
    const proof = headers[0]!;
    if (proof.length > MAX_DPOP_PROOF_LENGTH) throw new DpopProofError('ERR_DPOP_MALFORMED', `the DPoP proof is longer than ${MAX_DPOP_PROOF_LENGTH} characters`);
    if (!COMPACT_JWS.test(proof)) throw new DpopProofError('ERR_DPOP_MALFORMED', 'the DPoP proof is not a compact JWS');
    const [encodedHeader, encodedPayload] = proof.split('.') as [string, string];
    let header: Record<string, unknown>;
    try {
      const text = Buffer.from(encodedHeader, 'base64url').toString('utf8');
      if (hasDuplicateMemberNames(text) || hasDuplicateMemberNames(Buffer.from(encodedPayload, 'base64url').toString('utf8'))) throw new Error('duplicate');
      header = JSON.parse(text) as Record<string, unknown>;
    } catch {
      throw new DpopProofError('ERR_DPOP_MALFORMED', 'the DPoP proof header is not a JSON object with distinct members');
    }
    if (header === null || typeof header !== 'object' || Array.isArray(header)) throw new DpopProofError('ERR_DPOP_MALFORMED', 'the DPoP proof header is not a JSON object');
    if (header.typ !== 'dpop+jwt') throw new DpopProofError('ERR_DPOP_TYPE', 'the DPoP proof typ must be dpop+jwt');
    if (typeof header.alg !== 'string' || !(algorithms as string[]).includes(header.alg)) {
      throw new DpopProofError('ERR_DPOP_ALGORITHM', `the DPoP proof alg must be one of ${algorithms.join(' ')}`);
    }
    const alg = header.alg as DpopAlgorithm;
    const jwk = header.jwk;
    if (jwk === null || typeof jwk !== 'object' || Array.isArray(jwk)) throw new DpopProofError('ERR_DPOP_KEY', 'the DPoP proof header needs a jwk (the public key)');
    if (PRIVATE_MEMBERS.some((member) => Object.prototype.hasOwnProperty.call(jwk, member))) {
      throw new DpopProofError('ERR_DPOP_KEY', 'the DPoP proof jwk contains private key material');
    }
    let key: CryptoKey | Uint8Array;
    try {
      key = await importJWK(jwk as JWK, alg);
    } catch {
      throw new DpopProofError('ERR_DPOP_KEY', `the DPoP proof jwk is not a public key for ${alg}`);
    }
    if (key instanceof Uint8Array || key.type !== 'public') throw new DpopProofError('ERR_DPOP_KEY', 'the DPoP proof jwk must be a public key');

    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(proof, key, { typ: 'dpop+jwt', algorithms: [alg] }));
    } catch (error) {
      if (error instanceof joseErrors.JWSSignatureVerificationFailed) throw new DpopProofError('ERR_DPOP_SIGNATURE', 'the DPoP proof signature does not verify with its jwk');
      if (error instanceof joseErrors.JWTClaimValidationFailed || error instanceof joseErrors.JWTExpired) throw new DpopProofError('ERR_DPOP_CLAIMS', `the DPoP proof's ${(error as joseErrors.JWTClaimValidationFailed).claim} claim is not accepted`);
      throw new DpopProofError('ERR_DPOP_MALFORMED', 'the DPoP proof is malformed');
    }

    const { jti, htm, htu, iat } = payload as Record<string, unknown>;
    if (typeof jti !== 'string' || jti.length === 0 || jti.length > 256) throw new DpopProofError('ERR_DPOP_CLAIMS', 'the DPoP proof needs a jti (a unique string of at most 256 characters)');
    if (htm !== request.method) throw new DpopProofError('ERR_DPOP_HTM', `the DPoP proof htm must be ${request.method}`);
    let expectedHtu: string;
    try {
      expectedHtu = normalizeHtu(request.url);
    } catch {
      throw new OptionError('ERR_OPTION_INVALID', 'url', 'the request URL given to the DPoP verifier is not absolute');
    }
    let presentedHtu: string | null = null;
    try {
      if (typeof htu === 'string') presentedHtu = normalizeHtu(htu);
    } catch {
      presentedHtu = null;
    }
    if (presentedHtu !== expectedHtu) throw new DpopProofError('ERR_DPOP_HTU', `the DPoP proof htu must be ${expectedHtu}`);
    const nowSeconds = now() / 1000;
    if (typeof iat !== 'number' || !Number.isFinite(iat)) throw new DpopProofError('ERR_DPOP_CLAIMS', 'the DPoP proof needs a numeric iat');
    if (Math.abs(iat - nowSeconds) > window + leeway) throw new DpopProofError('ERR_DPOP_IAT', `the DPoP proof iat must be within ${window} seconds of the server's clock`);

    if (request.accessToken !== undefined) {
      if (payload.ath !== accessTokenHash(request.accessToken)) throw new DpopProofError('ERR_DPOP_ATH', 'the DPoP proof ath is not the hash of the access token');
    }
    const thumbprint = await calculateJwkThumbprint(jwk as JWK, 'sha256');
    if (request.jkt !== undefined && thumbprint !== request.jkt) throw new DpopProofError('ERR_DPOP_KEY_MISMATCH', 'the DPoP proof is not signed by the key the token is bound to');
    if (options.nonce) {
      const nonce = payload.nonce;
      if (typeof nonce !== 'string' || !options.nonce.accepts(nonce)) throw new DpopNonceError(options.nonce.current());
    }
    // Last: a proof refused above has not used its jti up.
    const expiresAtMs = (iat + window + leeway) * 1000;
    if (!(await claimJti(`dpop:${thumbprint}`, jti, expiresAtMs))) throw new DpopProofError('ERR_DPOP_REPLAY', 'the DPoP proof has been used before');
    return { jkt: thumbprint, jti, iat, jwk: publicMembers(jwk as JWK), alg };
  }

  return { verify, algorithms };
}

function publicMembers(jwk: JWK): JWK {
  const { kty, crv, x, y, n, e } = jwk;
  return Object.fromEntries(Object.entries({ kty, crv, x, y, n, e }).filter(([, value]) => value !== undefined)) as JWK;
}

/** One process's `jti` memory: bounded, fail closed when full of live entries. */
function memoryJtiStore(now: () => number, maxEntries = 100_000): (scope: string, jti: string, expiresAtMs: number) => Promise<boolean> {
  const entries = new Map<string, number>();
  return async (scope, jti, expiresAtMs) => {
    const key = `${scope}:${jti}`;
    const at = now();
    const existing = entries.get(key);
    if (existing !== undefined && existing > at) return false;
    if (existing === undefined && entries.size >= maxEntries) {
      for (const [k, expiry] of entries) if (expiry <= at) entries.delete(k);
      if (entries.size >= maxEntries) throw new DpopProofError('ERR_DPOP_REPLAY', 'too many DPoP proofs in flight: retry shortly');
    }
    entries.set(key, expiresAtMs);
    return true;
  };
}

/** A client's DPoP key: the private key signs proofs, the public JWK goes in their header. */
export interface DpopKey {
  alg: DpopAlgorithm;
  privateKey: CryptoKey;
  publicJwk: JWK;
  /** RFC 7638 thumbprint of the public key: the `cnf.jkt` of tokens bound to it. */
  jkt: string;
}

/**
 * A fresh DPoP key pair (non-extractable private key). One per client instance: tokens are bound
 * to it, so keep it as long as the tokens it got.
 * @throws {OptionError} `ERR_OPTION_INVALID`: `alg` is not one of {@link DPOP_ALGORITHMS}
 */
export async function generateDpopKey(alg: DpopAlgorithm = 'ES256'): Promise<DpopKey> {
  if (!(DPOP_ALGORITHMS as readonly string[]).includes(alg)) throw new OptionError('ERR_OPTION_INVALID', 'alg', `${String(alg)} is not a DPoP algorithm`);
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: false, ...(alg === 'EdDSA' ? { crv: 'Ed25519' } : {}) });
  const publicJwk = await exportJWK(publicKey);
  return { alg, privateKey, publicJwk, jkt: await calculateJwkThumbprint(publicJwk, 'sha256') };
}

/**
 * An RFC 9449 §4.2 proof for one request: `typ` `dpop+jwt`, the public key in `jwk`, a random
 * `jti`, `htm`, `htu` (query and fragment removed), `iat` now, plus `ath` when the request carries
 * an access token and `nonce` when the server gave one.
 * @throws {TypeError} `url` is not an absolute URL
 */
export async function createDpopProof(key: DpopKey, request: { method: string; url: string | URL; accessToken?: string; nonce?: string; now?: number }): Promise<string> {
  const claims: JWTPayload = { jti: randomUUID(), htm: request.method, htu: normalizeHtu(request.url) };
  if (request.accessToken !== undefined) claims.ath = accessTokenHash(request.accessToken);
  if (request.nonce !== undefined) claims.nonce = request.nonce;
  return new SignJWT(claims)
    .setProtectedHeader({ alg: key.alg, typ: 'dpop+jwt', jwk: key.publicJwk })
    .setIssuedAt(Math.floor((request.now ?? Date.now()) / 1000))
    .sign(key.privateKey);
}
