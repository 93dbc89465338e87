import type { IncomingMessage, ServerResponse } from 'node:http';
import { bearerErrorResponse, extractAccessToken, type BearerSources, type DpopChallengeOptions } from './bearer.js';
import type { DpopVerifier } from './dpop.js';
import { keyUseRefusal, type KeyLimits } from './key-limits.js';
import { InvalidTokenError, VerifierError } from './errors.js';
import { assertScopes, type AccessTokenClaims, type Verifier } from './verifier.js';

export interface ProtectOptions {
  /** The verifier for your issuer and audience (see {@link createVerifier}). */
  verifier: Verifier;
  /** The `realm` of RFC 6750 §3 challenges; default `"api"`. */
  realm?: string;
  /**
   * The URL of your API's RFC 9728 protected resource metadata (see {@link resourceMetadataUrl}):
   * every challenge then carries `resource_metadata="…"` (RFC 9728 §5.1), so a client that
   * receives a 401 can discover which authorization server and scopes your API takes.
   */
  resourceMetadata?: string;
  /**
   * Accept DPoP-bound tokens (RFC 9449 §7.1): `Authorization: DPoP <token>` with a fresh proof
   * for the request's method and URL, signed by the key of the token's `cnf.jkt`. Without it a
   * bound token is refused (it is never accepted as Bearer, with or without this option).
   */
  dpop?: DpopProtectOptions;
  /**
   * Per-key rate limits and quotas (see {@link createKeyLimits}): after the token and its scopes
   * pass, one use is counted in Keymint (shared by every node and gateway); a key past its limit
   * is answered 429 `rate_limited` / `usage_exceeded` with `Retry-After` and `RateLimit`, and a
   * verify API that does not answer is 503 (fail closed).
   */
  limits?: KeyLimits;
}

export interface DpopProtectOptions {
  /** The proof verifier (see {@link createDpopVerifier}); give it a shared `claimJti` store when the API runs on several processes. */
  verifier: DpopVerifier;
  /**
   * The public URL of a request, as clients address it (the `htu` of their proofs). Default:
   * `Host` header and the request's path, with `https:` — pass this behind a proxy that
   * rewrites either, e.g. `(req) => new URL(req.url, 'https://api.example.com').href`.
   */
  requestUrl?: (request: { url?: string; headers: Record<string, string | string[] | undefined> }) => string;
}

/** What a request says for the DPoP check: where it went and the proof it carries. */
export interface DpopRequestInfo {
  verifier: DpopVerifier;
  method: string;
  /** Absolute URL of the request. */
  url: string;
  /** The `DPoP` header(s). */
  proof: string | string[] | undefined;
}

/**
 * The whole resource-server check of RFC 6750: read the Bearer token (§2), verify it
 * (RFC 9068 §4), and require every scope in `scopes` (§3.1 insufficient_scope).
 * @throws {VerifierError} the subclass says how to answer: {@link MissingTokenError} /
 *   {@link InvalidTokenError} 401, {@link InsufficientScopeError} 403, {@link InvalidRequestError}
 *   400, {@link KeysUnavailableError} 503, with `limits` {@link KeyLimitError} 429 (issue 20) and
 *   {@link KeyLimitsUnavailableError} 503 (`.status`, and {@link bearerErrorResponse} builds it)
 */
export async function authorizeRequest(verifier: Verifier, sources: BearerSources, scopes: readonly string[], dpop?: DpopRequestInfo, limits?: KeyLimits): Promise<AccessTokenClaims> {
  const { scheme, token } = extractAccessToken(sources, dpop !== undefined);
  const claims = await verifier.verify(token);
  const jkt = claims.cnf?.jkt;
  // RFC 9449 §7.1: a bound token is used with its proof or not at all; an unbound one stays Bearer.
  if (jkt !== undefined && scheme === 'Bearer') throw new InvalidTokenError('ERR_TOKEN_BOUND', 'this token is DPoP-bound: send it with the DPoP scheme and a DPoP proof');
  if (scheme === 'DPoP') {
    if (jkt === undefined) throw new InvalidTokenError('ERR_TOKEN_NOT_BOUND', 'this token is not DPoP-bound: send it with the Bearer scheme');
    await dpop!.verifier.verify({ proof: dpop!.proof, method: dpop!.method, url: dpop!.url, accessToken: token, jkt });
  }
  assertScopes(claims, scopes);
  if (limits) {
    // Counted last, so a refused token or scope spends nothing (docs/gateway.md).
    const refused = keyUseRefusal(await limits.use(token, { scopes }));
    if (refused) throw refused;
  }
  return claims;
}

function defaultRequestUrl(request: { url?: string; headers: Record<string, string | string[] | undefined> }): string {
  const host = request.headers.host;
  return new URL(request.url ?? '/', `https://${typeof host === 'string' ? host : 'localhost'}`).href;
}

function dpopInfo(options: DpopProtectOptions | undefined, request: { method?: string; url?: string; headers: Record<string, string | string[] | undefined> }): DpopRequestInfo | undefined {
  if (!options) return undefined;
  return { verifier: options.verifier, method: request.method ?? 'GET', url: (options.requestUrl ?? defaultRequestUrl)(request), proof: request.headers.dpop };
}

function challengeOptions(options: DpopProtectOptions | undefined, authorization: string | string[] | undefined): DpopChallengeOptions | undefined {
  if (!options) return undefined;
  return { algorithms: options.verifier.algorithms, ...(typeof authorization === 'string' && /^DPoP /i.test(authorization) ? { scheme: 'DPoP' as const } : {}) };
}

/** A request after a successful check: the verified claims are on `auth`. */
export type AuthenticatedRequest<R> = R & { auth: AccessTokenClaims };

type ConnectRequest = IncomingMessage & { query?: unknown; body?: unknown; auth?: AccessTokenClaims };
type ConnectNext = (error?: unknown) => void;

function writeFailure(res: ServerResponse, error: VerifierError, realm: string, resourceMetadata: string | undefined, dpop: DpopChallengeOptions | undefined): void {
  const { status, headers, body } = bearerErrorResponse(error, realm, resourceMetadata, dpop);
  res.statusCode = status;
  for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
  res.setHeader('content-type', 'application/json; charset=utf-8');
  res.end(JSON.stringify(body));
}

/**
 * Express / Connect middleware. `requireScopes(...)` verifies the Bearer token, puts its claims
 * on `req.auth` and calls `next()`; otherwise it answers 401/403/400 with the RFC 6750 §3
 * `WWW-Authenticate` challenge (503 when the issuer's keys cannot be loaded).
 *
 * @example
 * const { requireScopes } = expressAuth({ verifier });
 * app.get('/contacts', requireScopes('contacts_read'), (req, res) => res.json({ client: req.auth.client_id }));
 * Never throws: every failure becomes the RFC 6750 answer.
 */
export function expressAuth({ verifier, realm = 'api', resourceMetadata, dpop, limits }: ProtectOptions): {
  requireScopes(...scopes: string[]): (req: IncomingMessage, res: ServerResponse, next: ConnectNext) => void;
} {
  return {
    requireScopes(...scopes) {
      return (req, res, next) => {
        const request = req as ConnectRequest;
        const sources = { authorization: request.headers.authorization, query: request.query, body: request.body };
        // Express mounts rewrite req.url; originalUrl is what the client addressed.
        const url = (request as { originalUrl?: string }).originalUrl ?? request.url;
        authorizeRequest(verifier, sources, scopes, dpopInfo(dpop, { method: request.method, url, headers: request.headers }), limits).then(
          (claims) => {
            request.auth = claims;
            next();
          },
          (error: unknown) => (error instanceof VerifierError ? writeFailure(res, error, realm, resourceMetadata, challengeOptions(dpop, request.headers.authorization)) : next(error)),
        );
      };
    },
  };
}

/** The parts of Fastify the plugin uses, so the SDK needs no Fastify dependency. */
interface FastifyLike {
  decorate(name: string, value: unknown): unknown;
  decorateRequest(name: string, value: unknown): unknown;
}
interface FastifyRequestLike {
  method?: string;
  url?: string;
  headers: Record<string, string | string[] | undefined>;
  query?: unknown;
  body?: unknown;
  auth?: AccessTokenClaims;
}
interface FastifyReplyLike {
  code(status: number): FastifyReplyLike;
  headers(values: Record<string, string>): FastifyReplyLike;
  send(body: unknown): FastifyReplyLike;
}

/** A Fastify `preHandler` hook. */
export type FastifyPreHandler = (request: FastifyRequestLike, reply: FastifyReplyLike) => Promise<unknown>;

/**
 * Fastify plugin. Registers `fastify.requireScopes(...scopes)`, which returns a `preHandler`
 * hook: it verifies the Bearer token and puts the claims on `request.auth`, or answers with the
 * RFC 6750 §3 error and challenge. Not encapsulated (like `fastify-plugin`), so routes registered
 * anywhere after it can use the decorator.
 *
 * @example
 * await app.register(fastifyAuth, { verifier });
 * app.get('/contacts', { preHandler: app.requireScopes('contacts_read') }, async (request) => request.auth);
 */
export const fastifyAuth = Object.assign(
  async function keymintFastifyAuth(fastify: FastifyLike, { verifier, realm = 'api', resourceMetadata, dpop, limits }: ProtectOptions): Promise<void> {
    fastify.decorateRequest('auth', null);
    fastify.decorate('requireScopes', (...scopes: string[]): FastifyPreHandler => {
      return async (request, reply) => {
        try {
          request.auth = await authorizeRequest(verifier, { authorization: request.headers.authorization, query: request.query, body: request.body }, scopes, dpopInfo(dpop, request), limits);
        } catch (error) {
          if (!(error instanceof VerifierError)) throw error;
          const { status, headers, body } = bearerErrorResponse(error, realm, resourceMetadata, challengeOptions(dpop, request.headers.authorization));
          return reply.code(status).headers(headers).send(body);
        }
        return undefined;
      };
    });
  },
  // What fastify-plugin sets: the decorator is visible outside the plugin's own context.
  { [Symbol.for('skip-override')]: true, [Symbol.for('fastify.display-name')]: '@keymint/sdk' },
);
