import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { ConfigAsCode } from '../../config-as-code/service.js';
import { ConfigDocument } from '../../config-as-code/schema.js';
import * as S from '../schemas.js';
import { config, security } from './common.js';

export interface ConfigExportRoutesOptions {
  configAsCode: Pick<ConfigAsCode, 'export'>;
}

/** `GET /admin/v1/tenants/:tenant/export`: what `keymint export --tenant SLUG` prints (docs/config-as-code.md). */
export const configExportRoutes: FastifyPluginAsyncTypebox<ConfigExportRoutesOptions> = async (app, { configAsCode }) => {
  app.get('/tenants/:tenant/export', {
    config, schema: { summary: 'The tenant as a config-as-code document (never a secret)', tags: ['admin: tenants'], security, params: S.TenantParams, response: { 200: ConfigDocument, ...S.errors } },
  }, async (request) => configAsCode.export([request.adminTenant.slug]));
};
