import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { App } from '../apps/model.js';
import { InvalidRequest } from '../errors.js';
import { formBody, param, type FormBody } from '../http/form-body.js';
import { formBodyOnly } from '../http/form-only.js';
import { noStore } from '../http/no-store.js';
import { rejectDuplicateParams } from '../http/reject-duplicate-params.js';
import { readClientCredentials } from './client-auth.js';

/**
 * What every endpoint that a client calls with its credentials shares (token, RFC 7662
 * introspection, RFC 7009 revocation): RFC 6749 §5.2 errors, no-store, form bodies only,
 * no repeated parameter.
 */
export const clientEndpointOptions = {
  config: { errorProfile: 'oauth' as const },
  onRequest: noStore,
  preValidation: [formBodyOnly, rejectDuplicateParams()],
};

/** RFC 6749 §2.3.1 client_secret_post parameters, as a route's form body names them (http/form-body.ts formBody). */
export const CLIENT_CREDENTIAL_PARAMETERS = {
  client_id: 'client_secret_post (RFC 6749 §2.3.1), or HTTP Basic',
  client_secret: 'client_secret_post (RFC 6749 §2.3.1), or HTTP Basic',
  client_assertion_type: 'private_key_jwt (RFC 7523 §2.2): urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
  client_assertion: 'private_key_jwt (RFC 7523 §2.2): a JWT signed with one of the app\'s registered keys',
};

/** The form body of RFC 7662 §2.1 and RFC 7009 §2.1 requests. */
export const IntrospectionOrRevocationBody = formBody({
  token: 'the token to introspect or revoke',
  token_type_hint: 'optional and not needed: every kind of token is found without it',
  ...CLIENT_CREDENTIAL_PARAMETERS,
});

/** Authenticates the calling app (same methods and failure budget as the token endpoint). */
export async function authenticatedCaller(app: FastifyInstance, request: FastifyRequest, body: FormBody): Promise<App> {
  const credentials = readClientCredentials(request.headers.authorization, {
    client_id: param(body, 'client_id'),
    client_secret: param(body, 'client_secret'),
    client_assertion_type: param(body, 'client_assertion_type'),
    client_assertion: param(body, 'client_assertion'),
  });
  return app.clientAuth.authenticate(request, request.tenant, credentials);
}

/** The required `token` parameter of RFC 7662 §2.1 and RFC 7009 §2.1. */
export function requiredToken(body: FormBody): string {
  const token = param(body, 'token');
  if (token === undefined) throw new InvalidRequest('token is required');
  return token;
}

/**
 * RFC 6749 §2.1 / RFC 7009 §2.1: the tenant's public app (end-user sessions) names itself with its
 * client_id alone (`none`); anything carrying credentials, or another client_id, is authenticated.
 */
export function isPublicAppRequest(request: FastifyRequest, body: FormBody): boolean {
  return request.headers.authorization === undefined && param(body, 'client_secret') === undefined && param(body, 'client_assertion') === undefined && param(body, 'client_id') === request.tenant.appId;
}
