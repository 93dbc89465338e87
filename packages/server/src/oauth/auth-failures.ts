import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { App } from '../apps/model.js';
import { budgetKey } from '../attempts/attempts.js';
import type { Attempts } from '../attempts/attempts.js';
import type { Budget } from '../attempts/store.js';
import type { AppService } from '../apps/service.js';
import type { AuditLog } from '../audit/service.js';
import type { Config } from '../config.js';
import { InvalidClient, TemporarilyUnavailable } from '../errors.js';
import type { Tenant } from '../tenants/model.js';
import type { ReplayStore } from '../profiles/replay-store.js';
import { authenticateClient, type PresentedCredentials } from './client-auth.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** Client authentication with the failed-attempt budget (docs/credential-lifecycle.md). */
    clientAuth: ClientAuthenticator;
  }
}

/** The client a request authenticated as (metrics label tokens by it; unknown ids never become labels). */
const authenticatedClients = new WeakMap<FastifyRequest, string>();
export function authenticatedClientId(request: FastifyRequest): string | undefined {
  return authenticatedClients.get(request);
}

/**
 * Client authentication for every endpoint that takes client credentials (token, introspection,
 * revocation, the envelope and signed-request profiles), with a budget of failed attempts per
 * client_id (across addresses) and per address (across client ids), counted in the attempt store
 * every worker and node shares (attempts/):
 *
 * - a failure takes one attempt from both budgets, atomically, and is answered 401 when it got
 *   one; past either budget it is answered 429 with Retry-After instead — so across the whole
 *   deployment exactly `max` failures per window are told 401, however many arrive at once;
 * - correct credentials always succeed and touch no shared store: a client presenting its right
 *   secret, from anywhere, and every other client on the same address are never locked out.
 *
 * Unlike passwords, the secret is checked before the attempt is counted: client secrets carry
 * 190 random bits, so the check is no guessing oracle worth metering up front, and the
 * benchmarked success path stays free of a shared write (docs/security.md explains the trade).
 */
export interface ClientAuthenticatorOptions {
  apps: AppService;
  attempts: Attempts;
  audit: AuditLog;
  /** The failure budgets (KEYMINT_AUTH_FAILURE_WINDOW, _PER_CLIENT, _PER_IP). */
  config: Pick<Config, 'authFailureWindowSeconds' | 'authFailuresPerClient' | 'authFailuresPerIp'>;
  now: () => number;
  /** Where private_key_jwt assertions' `jti`s are claimed once (Services.replay, shared by workers and nodes). */
  replay: ReplayStore;
}

export class ClientAuthenticator {
  constructor(private readonly options: ClientAuthenticatorOptions) {}

  /** authenticateClient, counting failures; throws InvalidClient, or TooManyRequests past the budget. */
  async authenticate(request: FastifyRequest, tenant: Tenant, credentials: PresentedCredentials): Promise<App> {
    const app = await this.guard(request, tenant, credentials.clientId, () => authenticateClient(this.options.apps, tenant, credentials, this.options.now(), { issuer: request.issuer, replay: this.options.replay }));
    authenticatedClients.set(request, app.clientId);
    return app;
  }

  /**
   * Runs a client authentication of another shape (e.g. an HMAC-signed request) under the same
   * failure budget: an InvalidClient it throws is counted against `clientId` and the caller's
   * address, so no endpoint that checks a client's secret is an unmetered guessing oracle.
   */
  async guard<T>(request: FastifyRequest, tenant: Tenant, clientId: string, attempt: () => Promise<T>): Promise<T> {
    try {
      return await attempt();
    } catch (error) {
      if (error instanceof InvalidClient) await this.countFailure(request, tenant, clientId);
      throw error;
    }
  }

  /** Takes one attempt for a failure; TooManyRequests when a budget was already spent. */
  private async countFailure(request: FastifyRequest, tenant: Tenant, clientId: string): Promise<void> {
    const { config, attempts, audit } = this.options;
    const windowMs = config.authFailureWindowSeconds * 1000;
    const budgets: (Budget & { by: string })[] = [
      { by: 'client_id', key: budgetKey('client.failures.client', tenant.id, clientId), max: config.authFailuresPerClient, windowMs },
      { by: 'ip', key: budgetKey('client.failures.address', request.ip), max: config.authFailuresPerIp, windowMs },
    ];
    let taken;
    try {
      ({ taken } = await attempts.reserve(budgets, 'too many failed client authentications: try again later'));
    } catch (error) {
      // A store outage must not lock every client out; the 401 stands (logged by Attempts).
      if (error instanceof TemporarilyUnavailable) return;
      throw error;
    }
    for (const spent of taken) {
      // The failure that spends the last attempt of a window is the one audited: once per window.
      if (spent.count !== spent.max) continue;
      const by = budgets.find((budget) => budget.key === spent.key)!.by;
      audit.record(
        { actor: 'client', actorId: clientId.slice(0, 64), ip: request.ip },
        { tenantId: tenant.id, action: 'client.authentication_failures', target: clientId.slice(0, 64), detail: { by, max: spent.max, window_seconds: windowMs / 1000 } },
      );
    }
  }
}

/** Decorates `clientAuth` on the tenant-scoped routes. */
export function installClientAuth(app: FastifyInstance, options: ClientAuthenticatorOptions): void {
  app.decorate('clientAuth', new ClientAuthenticator(options));
}
