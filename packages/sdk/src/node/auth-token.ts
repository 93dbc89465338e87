import type { JWTPayload } from 'jose';
import { extractBearerToken } from './bearer.js';
import { InvalidTokenError, MissingTokenError, OptionError } from './errors.js';
import { buildVerifier, type TokenProfile, type VerifierOptions } from './verifier.js';

/** Claims of a Keymint end-user access token (DESIGN "Token formats"). */
export interface AuthTokenClaims extends JWTPayload {
  iss: string;
  /** `did:keymint:{userId}` */
  sub: string;
  /** The tenant's app id. */
  aud: string | string[];
  /** The session the token belongs to; revoked sessions are listed in the revocation feed. */
  sid: string;
  iat: number;
  exp: number;
  /** OpenID Connect Core §5.1: whether the user proved the account's email (absent in tokens issued before Keymint set it: read as false). */
  email_verified?: boolean;
  /** RFC 9449 §6.1: the token is DPoP-bound to the key of this RFC 7638 thumbprint (a session opened with a DPoP proof). */
  cnf?: { jkt: string };
}

/** Who a request acts for, from a verified end-user access token. */
export interface AuthInfo {
  /** The user's id (the part of the `did:keymint:` subject after the prefix). */
  userId: string;
  sessionId: string;
  appId: string;
  /** Epoch seconds. */
  issuedAt: number;
  /** Epoch seconds. */
  expiration: number;
  /**
   * The token's `email_verified` claim: true once the user proved the account's email with a
   * mailed code. An account made by a password sign-up is unverified until then, and its email may
   * be someone else's: check this before trusting the email for anything (docs/end-users.md).
   */
  emailVerified: boolean;
  /**
   * RFC 9449: the thumbprint (`cnf.jkt`) of the DPoP key the token is bound to; absent for a Bearer
   * token. A bound token is good only with a DPoP proof by that key ({@link createDpopVerifier}
   * with `accessToken` and `jkt`); {@link AuthTokenVerifier.tokenFromRequest} refuses it.
   */
  jkt?: string;
}

export interface AuthTokenVerifierOptions extends Omit<VerifierOptions, 'audience' | 'isRevoked'> {
  /** The tenant's public app id (`keymint tenant list`): the `aud` of its users' tokens. */
  appId: string;
}

/** What a request may look like: Node's IncomingMessage, Express and Fastify requests all fit. */
export interface RequestLike {
  headers: Record<string, string | string[] | undefined>;
}

export interface AuthTokenVerifier {
  /**
   * Verifies an end-user access token: ES256/EdDSA signature by the issuer's keys, header `typ`
   * `JWT` (an app access token, `at+jwt`, or an identity token is refused), `iss`, `aud` = the
   * app id, `sub` a `did:keymint:` DID, a `sid`, time claims, and the session not revoked.
   * @throws {TokenExpiredError} the token has expired: answer 401 so the client refreshes
   * @throws {InvalidTokenError} anything else wrong (`.code` says what)
   * @throws {KeysUnavailableError} the issuer's keys could not be loaded (answer 503, never accept)
   */
  verifyAuthToken(token: string): Promise<AuthInfo>;
  /**
   * Reads the token from `Authorization: Bearer` or, in cookie mode, the access cookie Keymint set
   * (`__Host-keymint_access` on https, `keymint_access` on http), and verifies it. A DPoP-bound
   * token is refused here (RFC 9449 §7.1: never a Bearer token): verify it with
   * {@link AuthTokenVerifier.verifyAuthToken} and check its proof with `createDpopVerifier`.
   * @throws {MissingTokenError} the request carries neither
   * @throws {InvalidRequestError} the token was sent by more than one method (RFC 6750 §2)
   * @throws {InvalidTokenError} as {@link AuthTokenVerifier.verifyAuthToken}
   * @throws {KeysUnavailableError} the issuer's keys could not be loaded (answer 503)
   */
  tokenFromRequest(request: RequestLike): Promise<AuthInfo>;
  close(): void;
}

/** Names of the access cookie Keymint sets in cookie mode (server users/cookies.ts). */
export const ACCESS_COOKIE_NAMES = ['__Host-keymint_access', 'keymint_access'] as const;

const DID_PREFIX = 'did:keymint:';

const AUTH_TOKEN_PROFILE: TokenProfile<AuthTokenClaims> = {
  typ: 'JWT',
  requiredClaims: ['iss', 'sub', 'aud', 'sid', 'iat', 'exp'],
  typMismatch: 'the token is not an end-user access token (typ must be JWT)',
  check(payload, nowSeconds, tolerance) {
    if (typeof payload.sub !== 'string' || !payload.sub.startsWith(DID_PREFIX) || payload.sub.length === DID_PREFIX.length) {
      throw new InvalidTokenError('ERR_TOKEN_CLAIM_INVALID', "the token's sub claim must be a did:keymint: DID");
    }
    if (typeof payload.sid !== 'string' || payload.sid === '') throw new InvalidTokenError('ERR_TOKEN_CLAIM_INVALID', "the token's sid claim must be a non-empty string");
    const cnf = payload.cnf as { jkt?: unknown } | undefined;
    if (cnf !== undefined && (cnf === null || typeof cnf !== 'object' || typeof cnf.jkt !== 'string' || cnf.jkt === '')) {
      throw new InvalidTokenError('ERR_TOKEN_CLAIM_INVALID', "the token's cnf claim must be an object whose jkt is a non-empty string");
    }
    if ((payload.iat as number) > nowSeconds + tolerance) throw new InvalidTokenError('ERR_TOKEN_NOT_YET_VALID', 'the token was issued in the future');
    return payload as AuthTokenClaims;
  },
};

/** The value of one cookie in a Cookie header (RFC 6265 §5.4), or undefined. Never throws. */
export function readCookie(header: string | string[] | undefined, name: string): string | undefined {
  const text = Array.isArray(header) ? header.join('; ') : header;
  if (!text) return undefined;
  for (const part of text.split(';')) {
    const index = part.indexOf('=');
    if (index < 0) continue;
    if (part.slice(0, index).trim() === name) return part.slice(index + 1).trim();
  }
  return undefined;
}

/**
 * Verifies the access tokens a tenant's end users send to an app's backend (Bearer header or
 * HTTP-only cookie), locally, with the issuer's JWKS and revocation feed (a signed-out session's
 * tokens stop verifying within one poll).
 *
 * @example
 * const auth = createAuthTokenVerifier({ issuer: 'https://auth.example.com/t/acme', appId: 'app_…' });
 * const { userId } = await auth.tokenFromRequest(req);
 * @throws {OptionError} `ERR_OPTION_MISSING`: `issuer` or `appId` is missing (a programming mistake, at construction)
 */
export function createAuthTokenVerifier(options: AuthTokenVerifierOptions): AuthTokenVerifier {
  if (!options.appId) throw new OptionError('ERR_OPTION_MISSING', 'appId', 'createAuthTokenVerifier needs the tenant app id');
  const verifier = buildVerifier<AuthTokenClaims>(options, options.appId, AUTH_TOKEN_PROFILE);
  async function verifyAuthToken(token: string): Promise<AuthInfo> {
    const claims = await verifier.verify(token);
    return {
      userId: claims.sub.slice(DID_PREFIX.length),
      sessionId: claims.sid,
      appId: options.appId,
      issuedAt: claims.iat,
      expiration: claims.exp,
      emailVerified: claims.email_verified === true,
      ...(claims.cnf === undefined ? {} : { jkt: claims.cnf.jkt }),
    };
  }
  async function verifyBearer(token: string): Promise<AuthInfo> {
    const info = await verifyAuthToken(token);
    if (info.jkt !== undefined) throw new InvalidTokenError('ERR_TOKEN_BOUND', 'this token is DPoP-bound: send it with the DPoP scheme and a DPoP proof');
    return info;
  }
  return {
    verifyAuthToken,
    async tokenFromRequest(request) {
      const authorization = request.headers.authorization;
      if (authorization !== undefined && authorization !== '') return verifyBearer(extractBearerToken({ authorization }));
      for (const name of ACCESS_COOKIE_NAMES) {
        const value = readCookie(request.headers.cookie, name);
        if (value) return verifyBearer(decodeURIComponent(value));
      }
      throw new MissingTokenError('this request needs a Bearer token or the Keymint access cookie');
    },
    close: () => verifier.close(),
  };
}
