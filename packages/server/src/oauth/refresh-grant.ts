import type { FastifyInstance, FastifyRequest } from 'fastify';
import { InvalidClient, InvalidRequest, InvalidScope, InvalidTarget, UnauthorizedClient } from '../errors.js';
import type { FormBody } from '../http/form-body.js';
import { param, params } from '../http/form-body.js';
import { sessionTokensJson } from '../users/model.js';
import type { UserService } from '../users/service.js';
import { authenticatedCaller } from './client-endpoint.js';
import type { DpopService } from './dpop.js';

/**
 * RFC 6749 §6 on the token endpoint: `grant_type=refresh_token` rotates an end-user session exactly
 * like `POST /auth/refresh` (the same UserService call: the token is spent, a spent one revokes the
 * session). End-user sessions belong to the tenant's public app (its `app_id`, RFC 6749 §2.1), so no
 * client authentication is involved; a client may name itself with `client_id` (§3.2.1), which must
 * then be that app id. Apps (client_id + secret) never hold refresh tokens: their credentials are
 * checked like any other request (wrong → invalid_client, counted by the failure limiter) and then
 * refused with unauthorized_client (§5.2). A DPoP-bound session refreshes only with a proof by its key.
 */
export async function refreshTokenGrant(app: FastifyInstance, users: UserService, dpop: DpopService, request: FastifyRequest, body: FormBody): Promise<ReturnType<typeof sessionTokensJson>> {
  const { tenant, issuer } = request;
  const clientId = param(body, 'client_id');
  const clientSecret = param(body, 'client_secret');
  if (request.headers.authorization !== undefined || clientSecret !== undefined) {
    const client = await authenticatedCaller(app, request, body);
    throw new UnauthorizedClient(`client ${client.clientId} authenticates with client_credentials: refresh tokens belong to end-user sessions, which use no client credentials`);
  }
  if (clientId !== undefined && clientId !== tenant.appId) {
    // §5.2 invalid_client: "no client authentication included" for a client that would need it.
    throw new InvalidClient('refresh_token needs no client authentication; client_id, when sent, must be the tenant\'s app_id');
  }
  const refreshToken = param(body, 'refresh_token');
  if (refreshToken === undefined) throw new InvalidRequest('refresh_token is required');
  // §6: a refresh may not widen the grant. End-user tokens carry no scope and one audience, the app id.
  if (param(body, 'scope') !== undefined) throw new InvalidScope('end-user sessions carry no scopes');
  const audience = param(body, 'audience');
  const targets = [...(audience === undefined ? [] : [audience]), ...params(body, 'resource')];
  if (targets.some((target) => target !== tenant.appId)) throw new InvalidTarget('end-user access tokens are issued for the tenant\'s app_id only');

  // RFC 9449 §5: last of the request checks, so a request refused for them spends no proof `jti`.
  const jkt = await dpop.bindTokenRequest(request, false);
  return sessionTokensJson(await users.refresh(tenant, issuer, refreshToken, jkt));
}
