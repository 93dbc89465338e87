import type { ApiTokenService } from '../api-tokens/service.js';
import type { AppService } from '../apps/service.js';
import { InvalidToken } from '../errors.js';
import type { OpaqueTokenService } from '../opaque-tokens/service.js';
import type { Principal } from '../resource/authenticate.js';

/**
 * Resolves the prefixed Bearer credentials Keymint stores (`kmk_` API tokens, `kma_` opaque
 * access tokens) into the principal the resource API authorises. JWTs are verified locally
 * by the resource API instead.
 */
export class PrincipalService {
  constructor(
    private readonly apiTokens: ApiTokenService,
    private readonly opaque: OpaqueTokenService,
    private readonly apps: AppService,
  ) {}

  /**
   * Throws InvalidToken (RFC 6750 §3.1) for anything but a live token of `tenantSlug` (when
   * given): another tenant's token gets the very answer an unknown one gets, so it reveals
   * nothing (issue 14).
   */
  async resolveBearer(token: string, tenantSlug?: string): Promise<Principal> {
    if (token.startsWith('kmk_')) return this.apiTokens.resolve(token, tenantSlug);
    if (token.startsWith('kma_')) {
      const found = await this.opaque.find(token);
      if (!found || (tenantSlug !== undefined && found.tenantSlug !== tenantSlug)) throw new InvalidToken('the access token is unknown, revoked or expired');
      const client = await this.apps.findClient(found.clientId);
      if (!client || client.app.status !== 'active') throw new InvalidToken('the access token is unknown, revoked or expired');
      return { tenantSlug: found.tenantSlug, clientId: found.clientId, scopes: found.scopes, kind: 'opaque', subject: found.clientId, expiresAt: found.expiresAt, ...(found.jkt === null ? {} : { jkt: found.jkt }) };
    }
    throw new InvalidToken('not a Keymint API token or opaque access token');
  }
}
