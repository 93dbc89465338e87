import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AppService } from '../../apps/service.js';
import type { TenantService } from '../../tenants/service.js';
import { auditContext } from '../auth.js';
import * as S from '../schemas.js';
import { appKeyView, appView, limitsInput, newSecretView, secretView } from '../views.js';
import { config, expiresIn, security } from './common.js';

export interface AppRoutesOptions {
  apps: Pick<AppService, 'list' | 'create' | 'get' | 'update' | 'disable' | 'listSecrets' | 'addSecret' | 'regenerateSecret' | 'revokeSecret' | 'listKeys' | 'addKeys' | 'removeKey'>;
  /** The scope catalog an app's scopes are checked against. */
  tenants: Pick<TenantService, 'scopes'>;
}

/** Apps (OAuth clients) and their client secrets. */
export const appRoutes: FastifyPluginAsyncTypebox<AppRoutesOptions> = async (app, { apps, tenants }) => {
  const tags = ['admin: apps'];
  app.get('/tenants/:tenant/apps', { config, schema: { summary: 'List apps', tags, security, params: S.TenantParams, response: { 200: S.AppList, ...S.errors } } }, async (request) => ({
    apps: (await apps.list(request.adminTenant.id)).map((a) => appView(a, request.adminTenant)),
  }));

  app.post('/tenants/:tenant/apps', { config, schema: { summary: 'Create an app (no scope unless chosen); its first secret is shown once (none for private_key_jwt: send jwks)', tags, security, params: S.TenantParams, body: S.CreateAppBody, response: { 201: S.CreatedApp, ...S.errors } } }, async (request, reply) => {
    const body = request.body;
    const tenant = request.adminTenant;
    const { app: created, secret } = await apps.create(tenant.id, await tenants.scopes(tenant.id), {
      name: body.name, scopes: body.scopes ?? [], audiences: body.audiences, tokenLifetime: body.token_lifetime ?? null, tokenFormat: body.token_format, authMethods: body.auth_methods, jwks: body.jwks,
      requireDpop: body.require_dpop,
      limits: body.limits && limitsInput(body.limits),
    }, auditContext(request));
    return reply.code(201).send({ app: appView(created, tenant), secret: secret ? newSecretView(secret) : null });
  });

  app.get('/tenants/:tenant/apps/:client_id', { config, schema: { summary: 'Get an app', tags, security, params: S.AppParams, response: { 200: S.AppView, ...S.errors } } }, async (request) =>
    appView(await apps.get(request.adminTenant.id, request.params.client_id), request.adminTenant));

  app.patch('/tenants/:tenant/apps/:client_id', { config, schema: { summary: 'Rename, or edit scopes, audiences, token lifetime (null: the tenant default), auth methods or (private_key_jwt) replace the keys with jwks', tags, security, params: S.AppParams, body: S.UpdateAppBody, response: { 200: S.UpdatedApp, ...S.errors } } }, async (request) => {
    const body = request.body;
    const tenant = request.adminTenant;
    const { app: updated, newSecretRequired } = await apps.update(tenant.id, await tenants.scopes(tenant.id), request.params.client_id, {
      name: body.name, tokenLifetime: body.token_lifetime, audiences: body.audiences, scopes: body.scopes, authMethods: body.auth_methods, jwks: body.jwks,
      requireDpop: body.require_dpop,
      limits: body.limits && limitsInput(body.limits),
    }, auditContext(request));
    return { app: appView(updated, tenant), new_secret_required: newSecretRequired };
  });

  app.post('/tenants/:tenant/apps/:client_id/disable', { config, schema: { summary: 'Disable an app (its tokens stop working)', tags, security, params: S.AppParams, response: { 200: S.AppView, ...S.errors } } }, async (request) =>
    appView(await apps.disable(request.adminTenant.id, request.params.client_id, auditContext(request)), request.adminTenant));

  app.get('/tenants/:tenant/apps/:client_id/secrets', { config, schema: { summary: 'List secrets (never the secret itself) with last use', tags, security, params: S.AppParams, response: { 200: S.SecretList, ...S.errors } } }, async (request) => ({
    secrets: (await apps.listSecrets(request.adminTenant.id, request.params.client_id)).map(secretView),
  }));

  app.post('/tenants/:tenant/apps/:client_id/secrets', { config, schema: { summary: 'Add a secret (up to 5 active), optionally expiring; shown once', tags, security, params: S.AppParams, body: S.AddSecretBody, response: { 201: S.NewSecretView, ...S.errors } } }, async (request, reply) => {
    const secret = await apps.addSecret(request.adminTenant.id, request.params.client_id, expiresIn(request.body?.expires_in), auditContext(request));
    return reply.code(201).send(newSecretView(secret));
  });

  app.post('/tenants/:tenant/apps/:client_id/secrets/regenerate', { config, schema: { summary: 'Regenerate: a new secret, every other one revoked, in one step', tags, security, params: S.AppParams, body: S.AddSecretBody, response: { 201: S.Regenerated, ...S.errors } } }, async (request, reply) => {
    const { secret, revoked } = await apps.regenerateSecret(request.adminTenant.id, request.params.client_id, expiresIn(request.body?.expires_in), auditContext(request));
    return reply.code(201).send({ secret: newSecretView(secret), revoked });
  });

  app.delete('/tenants/:tenant/apps/:client_id/secrets/:secret_id', { config, schema: { summary: 'Revoke a secret', tags, security, params: S.SecretParams, response: { 200: S.SecretView, ...S.errors } } }, async (request) =>
    secretView(await apps.revokeSecret(request.adminTenant.id, request.params.client_id, request.params.secret_id, auditContext(request))));

  app.get('/tenants/:tenant/apps/:client_id/keys', { config, schema: { summary: 'List the public keys of a private_key_jwt app (kid, thumbprint)', tags, security, params: S.AppParams, response: { 200: S.AppKeyList, ...S.errors } } }, async (request) => ({
    keys: (await apps.listKeys(request.adminTenant.id, request.params.client_id)).map(appKeyView),
  }));

  app.post('/tenants/:tenant/apps/:client_id/keys', { config, schema: { summary: 'Add public keys (a JWKS) to a private_key_jwt app: rotation adds the new key, then removes the old', tags, security, params: S.AppParams, body: S.AddKeysBody, response: { 201: S.AppKeyList, ...S.errors } } }, async (request, reply) => {
    const keys = await apps.addKeys(request.adminTenant.id, request.params.client_id, request.body.jwks, auditContext(request));
    return reply.code(201).send({ keys: keys.map(appKeyView) });
  });

  app.delete('/tenants/:tenant/apps/:client_id/keys/:kid', { config, schema: { summary: 'Remove a public key (never the last of a private_key_jwt app)', tags, security, params: S.AppKeyParams, response: { 200: S.AppKeyList, ...S.errors } } }, async (request) => ({
    keys: (await apps.removeKey(request.adminTenant.id, request.params.client_id, request.params.kid, auditContext(request))).map(appKeyView),
  }));
};
