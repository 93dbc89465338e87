import rateLimit from '@fastify/rate-limit';
import { Redis } from 'ioredis';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { App } from '../apps/model.js';
import { InvalidClient, TooManyRequests } from '../errors.js';
import type { Keymint } from '../keymint.js';
import type { Tenant } from '../tenants/model.js';
import { authenticateClient, type PresentedCredentials } from './client-auth.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** Client authentication with the failed-attempt budget (docs/credential-lifecycle.md). */
    clientAuth: ClientAuthenticator;
  }
}

type Limiter = ReturnType<FastifyInstance['createRateLimit']>;

/** The client a request authenticated as (metrics label tokens by it; unknown ids never become labels). */
const authenticatedClients = new WeakMap<FastifyRequest, string>();
export function authenticatedClientId(request: FastifyRequest): string | undefined {
  return authenticatedClients.get(request);
}

/**
 * Client authentication for every endpoint that takes client credentials (token,
 * introspection, revocation), with a budget of failed attempts counted by @fastify/rate-limit:
 *
 * - only failures count, per client_id (across IPs) and per IP (across client ids);
 * - past either budget, a failed attempt is answered 429 with Retry-After instead of 401;
 * - correct credentials always succeed: a client presenting its right secret, from the same IP
 *   or from elsewhere, and every other client on the same IP are never locked out, so nobody
 *   can lock an integrator out by spraying wrong secrets for its client_id.
 *
 * The counters live in the plugin's store (in memory per node); registering the plugin with
 * its `redis` option shares them across nodes without touching this file's logic.
 */
export class ClientAuthenticator {
  private readonly clientOf = new WeakMap<FastifyRequest, string>();
  private readonly perClient: Limiter;
  private readonly perIp: Limiter;

  constructor(app: FastifyInstance, private readonly keymint: Keymint) {
    const { config } = keymint;
    const timeWindow = config.authFailureWindowSeconds * 1000;
    this.perClient = app.createRateLimit({
      max: config.authFailuresPerClient,
      timeWindow,
      keyGenerator: (request) => `auth-failures:client:${request.tenant.id}:${(this.clientOf.get(request) ?? '').slice(0, 64)}`,
    });
    this.perIp = app.createRateLimit({ max: config.authFailuresPerIp, timeWindow, keyGenerator: (request) => `auth-failures:ip:${request.ip}` });
  }

  /** authenticateClient, counting failures; throws InvalidClient, or TooManyRequests past the budget. */
  async authenticate(request: FastifyRequest, tenant: Tenant, credentials: PresentedCredentials): Promise<App> {
    const app = await this.guard(request, tenant, credentials.clientId, () => authenticateClient(this.keymint.apps, tenant, credentials));
    authenticatedClients.set(request, app.clientId);
    return app;
  }

  /**
   * Runs a client authentication of another shape (e.g. an HMAC-signed request) under the same
   * failure budget: an InvalidClient it throws is counted against `clientId` and the caller's IP,
   * so no endpoint that checks a client's secret is an unmetered guessing oracle.
   */
  async guard<T>(request: FastifyRequest, tenant: Tenant, clientId: string, attempt: () => Promise<T>): Promise<T> {
    try {
      return await attempt();
    } catch (error) {
      if (error instanceof InvalidClient) await this.countFailure(request, tenant, clientId);
      throw error;
    }
  }

  private async countFailure(request: FastifyRequest, tenant: Tenant, clientId: string): Promise<void> {
    this.clientOf.set(request, clientId);
    const results = [
      { by: 'client_id', result: await this.perClient(request) },
      { by: 'ip', result: await this.perIp(request) },
    ];
    let retryAfter = 0;
    for (const { by, result } of results) {
      if (result.isAllowed) continue;
      // The failure that spends the last attempt of a window is the one audited: once per window.
      if (!result.isExceeded && result.remaining === 0) {
        this.keymint.audit.record(
          { actor: 'client', actorId: clientId.slice(0, 64), ip: request.ip },
          { tenantId: tenant.id, action: 'client.authentication_failures', target: clientId.slice(0, 64), detail: { by, max: result.max, window_seconds: result.timeWindow / 1000 } },
        );
      }
      if (result.isExceeded) retryAfter = Math.max(retryAfter, result.ttlInSeconds);
    }
    if (retryAfter > 0) throw new TooManyRequests('too many failed client authentications: try again later', retryAfter);
  }
}

/** Registers the rate-limit plugin (no route limits of its own) and decorates `clientAuth`. */
export async function installClientAuth(app: FastifyInstance, keymint: Keymint, options: { redis?: Redis | null; nameSpace?: string } = {}): Promise<void> {
  // With KEYMINT_REDIS_URL the counters live in Redis, so a budget is one budget across all nodes.
  // Redis failing must not lock every client out: the plugin skips counting on a store error.
  const redis = options.redis ?? null;
  await app.register(rateLimit, {
    global: false,
    ...(redis ? { redis, nameSpace: options.nameSpace ?? 'keymint-auth-failures:', skipOnError: true } : {}),
  });
  app.decorate('clientAuth', new ClientAuthenticator(app, keymint));
}
