/**
 * `@keymint/sdk/node`: protect an API with Keymint access tokens (RFC 9068 verification,
 * RFC 6750 middleware) and call one as a client (RFC 6749 §4.4 client credentials).
 */
export { createVerifier, assertScopes, MAX_TOKEN_LENGTH, CLOCK_LEEWAY_SECONDS, type Verifier, type VerifierOptions, type AccessTokenClaims, type AccessTokenAlgorithm } from './verifier.js';
export {
  VerifierError, InvalidTokenError, TokenExpiredError, MissingTokenError, InsufficientScopeError, InvalidRequestError, KeysUnavailableError, JwksTooLargeError,
  TokenRequestError, IssuerAnswerError, DiscoveryError, RevocationFeedError, OptionError,
  type VerifierErrorCode, type InvalidTokenErrorCode, type InvalidRequestErrorCode, type KeysUnavailableErrorCode, type TokenRequestErrorCode,
  type DiscoveryErrorCode, type RevocationFeedErrorCode, type OptionErrorCode,
  WebhookVerificationError, type WebhookVerificationErrorCode,
  DpopProofError, DpopNonceError, type DpopProofErrorCode,
  KeyLimitError, KeyLimitsUnavailableError, type KeyLimitErrorCode,
} from './errors.js';
export { createKeyLimits, keyUseRefusal, type KeyLimits, type KeyLimitsOptions, type KeyUse } from './key-limits.js';
export { verifyWebhook, WEBHOOK_TOLERANCE_SECONDS, type VerifyWebhookOptions, type WebhookEvent, type WebhookHeaders } from './webhooks.js';
export {
  createDpopVerifier, generateDpopKey, createDpopProof, accessTokenHash, normalizeHtu, DPOP_ALGORITHMS, DPOP_IAT_WINDOW_SECONDS, MAX_DPOP_PROOF_LENGTH,
  type DpopAlgorithm, type DpopRequest, type VerifiedDpopProof, type DpopNoncePolicy, type DpopVerifierOptions, type DpopVerifier, type DpopKey,
} from './dpop.js';
export { MAX_JWKS_BYTES, MAX_JWKS_KEYS, MAX_JWKS_BACKOFF_MS } from './key-source.js';
export { extractBearerToken, extractAccessToken, bearerChallenge, bearerErrorResponse, resourceMetadataUrl, type BearerSources, type BearerErrorBody, type PresentedToken, type DpopChallengeOptions } from './bearer.js';
export { expressAuth, fastifyAuth, authorizeRequest, type ProtectOptions, type DpopProtectOptions, type DpopRequestInfo, type AuthenticatedRequest, type FastifyPreHandler } from './middleware.js';
export { createClient, type ClientOptions, type ClientAuthMethod, type ClientAssertionAlg, type ClientPrivateKey, type ApiClient, type TokenSet } from './client.js';
export { signatureFor, buildSignedTokenRequest, newSignatureValue, type SignedTokenRequest } from './signed-request.js';
export { discover, metadataUrl, type IssuerMetadata, type FetchLike } from './discovery.js';
export type { RevocationEntry, RevocationFeedPage } from './revocations.js';
export { createAuthTokenVerifier, readCookie, ACCESS_COOKIE_NAMES, type AuthTokenVerifier, type AuthTokenVerifierOptions, type AuthTokenClaims, type AuthInfo, type RequestLike } from './auth-token.js';
