import type { Static } from '@sinclair/typebox';
import type { AppService } from '../apps/service.js';
import { ExpiredToken, InvalidToken, RevokedToken } from '../errors.js';
import type { KeyLimiter, LimitDecision } from '../limits/limiter.js';
import type { BearerAuthenticator, BearerContext, Principal } from '../resource/authenticate.js';
import type { VerifyAnswer, VerifyCode } from './schemas.js';

export interface VerifyRequest {
  key: string;
  scopes?: string[];
  cost?: number;
}

export interface KeyVerifierOptions {
  bearer: BearerAuthenticator;
  limiter: KeyLimiter;
  apps: Pick<AppService, 'findClient'>;
}

type Answer = Static<typeof VerifyAnswer>;

const REFUSED: Record<LimitDecision['outcome'], VerifyCode> = { valid: 'VALID', rate_limited: 'RATE_LIMITED', usage_exceeded: 'USAGE_EXCEEDED' };

/**
 * The verify API's rules (issue 20): the key is resolved exactly as the resource API resolves a
 * Bearer token (kmk_, kma_ and JWT, from memory when cached), its scopes checked, then one use
 * counted against its limits, before the answer. Only a VALID answer spends anything.
 */
export class KeyVerifier {
  constructor(private readonly options: KeyVerifierOptions) {}

  async verify(context: BearerContext, request: VerifyRequest): Promise<Answer> {
    const { limiter } = this.options;
    const tenantId = context.tenant.id;
    let principal: Principal;
    try {
      principal = await this.options.bearer.authenticate(request.key, context);
    } catch (error) {
      if (!(error instanceof InvalidToken)) throw error;
      limiter.refused(tenantId, null, 'invalid');
      return notValid(error instanceof ExpiredToken ? 'EXPIRED' : error instanceof RevokedToken ? 'REVOKED' : 'NOT_FOUND');
    }
    const who = {
      scopes: principal.scopes,
      ...(principal.kind === 'api_token' ? { token_id: principal.subject } : principal.clientId === null ? {} : { client_id: principal.clientId }),
      expires_at: principal.expiresAt ?? null,
      // A bound token is worth nothing without a proof by its key: the gateway checks that proof.
      ...(principal.jkt === undefined ? {} : { cnf: { jkt: principal.jkt } }),
    };
    if (principal.clientId !== null && (await this.options.apps.findClient(principal.clientId))?.app.status !== 'active') {
      limiter.refused(tenantId, principal, 'invalid');
      return { ...notValid('DISABLED'), ...who };
    }
    if (!(request.scopes ?? []).every((scope) => principal.scopes.includes(scope))) {
      limiter.refused(tenantId, principal, 'insufficient_scope');
      return { ...notValid('INSUFFICIENT_SCOPE'), ...who };
    }
    const decision = await limiter.use(tenantId, principal, request.cost ?? 1);
    const code = REFUSED[decision.outcome];
    return {
      valid: code === 'VALID',
      code,
      remaining: decision.quota?.remaining ?? null,
      reset: decision.quota?.refillAt ?? null,
      ratelimit: decision.rate && { limit: decision.rate.limit, remaining: decision.rate.remaining, reset: decision.rate.resetAt },
      ...who,
    };
  }
}

function notValid(code: VerifyCode): Answer {
  return { valid: false, code, remaining: null, reset: null, ratelimit: null, scopes: [], expires_at: null };
}
