import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { KeyService } from '../../keys/service.js';
import { auditContext } from '../auth.js';
import * as S from '../schemas.js';
import { keyView, rotationView } from '../views.js';
import { config, security } from './common.js';

export interface KeyRoutesOptions {
  keys: Pick<KeyService, 'list' | 'rotate'>;
}

/** The tenant's signing keys and their rotation (docs/key-rotation.md). */
export const keyRoutes: FastifyPluginAsyncTypebox<KeyRoutesOptions> = async (app, { keys }) => {
  const tags = ['admin: signing keys'];
  app.get('/tenants/:tenant/keys', { config, schema: { summary: 'Signing keys: next, current, retired', tags, security, params: S.TenantParams, response: { 200: S.KeyList, ...S.errors } } }, async (request) => ({
    keys: (await keys.list(request.adminTenant.id)).map(keyView),
  }));

  app.post('/tenants/:tenant/keys/rotate', { config, schema: { summary: 'Rotate: the published next key signs (or is scheduled to, once verifiers know it)', tags, security, params: S.TenantParams, response: { 200: S.RotationView, ...S.errors } } }, async (request) => {
    const result = await keys.rotate(request.adminTenant.id, auditContext(request));
    return rotationView(result, await keys.list(request.adminTenant.id));
  });
};
