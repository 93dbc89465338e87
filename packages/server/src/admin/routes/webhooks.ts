import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { WebhookService } from '../../webhooks/service.js';
import { auditContext } from '../auth.js';
import * as S from '../schemas.js';
import { newWebhookView, webhookDeliveryView, webhookView } from '../views.js';
import { config, security } from './common.js';

export interface WebhookRoutesOptions {
  webhooks: Pick<WebhookService, 'list' | 'create' | 'delete' | 'rotateSecret' | 'deliveries'>;
}

/** A tenant's signed webhooks and their delivery log (docs/webhooks.md). */
export const webhookRoutes: FastifyPluginAsyncTypebox<WebhookRoutesOptions> = async (app, { webhooks }) => {
  const tags = ['admin: webhooks'];
  app.get('/tenants/:tenant/webhooks', { config, schema: { summary: 'List webhooks (never their secrets)', tags, security, params: S.TenantParams, response: { 200: S.WebhookList, ...S.errors } } }, async (request) => ({
    webhooks: (await webhooks.list(request.adminTenant.id)).map(webhookView),
  }));

  app.post('/tenants/:tenant/webhooks', { config, schema: { summary: 'Create a webhook (its secret shown once)', tags, security, params: S.TenantParams, body: S.CreateWebhookBody, response: { 201: S.NewWebhookView, ...S.errors } } }, async (request, reply) =>
    reply.code(201).send(newWebhookView(await webhooks.create(request.adminTenant.id, { url: request.body.url, events: request.body.events }, auditContext(request)))));

  app.delete('/tenants/:tenant/webhooks/:id', { config, schema: { summary: 'Delete a webhook and its delivery log', tags, security, params: S.IdParams, response: { 200: S.WebhookView, ...S.errors } } }, async (request) =>
    webhookView(await webhooks.delete(request.adminTenant.id, request.params.id, auditContext(request))));

  app.post('/tenants/:tenant/webhooks/:id/rotate-secret', { config, schema: { summary: 'A new signing secret (shown once); the old one signs too for 24 hours', tags, security, params: S.IdParams, response: { 200: S.NewWebhookView, ...S.errors } } }, async (request) =>
    newWebhookView(await webhooks.rotateSecret(request.adminTenant.id, request.params.id, auditContext(request))));

  app.get('/tenants/:tenant/webhooks/:id/deliveries', { config, schema: { summary: 'The delivery log, newest first (100)', tags, security, params: S.IdParams, response: { 200: S.WebhookDeliveryList, ...S.errors } } }, async (request) => ({
    deliveries: (await webhooks.deliveries(request.adminTenant.id, request.params.id)).map(webhookDeliveryView),
  }));
};
