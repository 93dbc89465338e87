import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { errorResponses as errors } from '../http/error-body.js';
import { noStore } from '../http/no-store.js';
import { requireScope, type BearerAuthenticator } from '../resource/authenticate.js';
import type { KeyLimiter } from '../limits/limiter.js';
import { announceResourceMetadata, CONTACT_SCOPES } from '../resource/metadata.js';
import type { ChangeFeed } from '../store/change-log.js';
import type { Db } from '../store/database.js';
import { CONTACT_PAGE } from './model.js';
import {
  Contact, ContactList, ContactParams, CreateContactBody, Deleted, ListContactsQuery, UpdateContactBody,
} from './schemas.js';
import { ContactService } from './service.js';

const READ = CONTACT_SCOPES.read;
const WRITE = CONTACT_SCOPES.write;

/** OpenAPI: RFC 6750 Bearer, with the scope each operation needs. */
const security = (scope: string) => [{ bearerAuth: [scope] }];

export interface ContactRoutesOptions {
  db: Db;
  changes: ChangeFeed;
  now: () => number;
  bearer: BearerAuthenticator;
  /** Each authorised request is one use of its key's rate limit and quota. */
  limiter: KeyLimiter;
}

/** The Contacts resource API under `/t/:tenant/api/v1/contacts` (DESIGN "Resource API", docs/contacts-api.md). */
export const contactRoutes: FastifyPluginAsyncTypebox<ContactRoutesOptions> = async (app, { db, changes, now, bearer, limiter }) => {
  const contacts = new ContactService({ db, changes, now });
  const read = requireScope(bearer, limiter, READ);
  const write = requireScope(bearer, limiter, WRITE);
  app.decorateRequest('principal', null);
  app.addHook('onSend', announceResourceMetadata);
  // Every failure here answers in RFC 6750 shape with its WWW-Authenticate challenge, and
  // nothing about contacts may be stored by shared caches.
  const config = { errorProfile: 'bearer' as const };
  const tags = ['contacts'];

  app.get('/api/v1/contacts', {
    config,
    schema: { summary: 'List contacts', tags, security: security(READ), querystring: ListContactsQuery, response: { 200: ContactList, ...errors } },
    onRequest: noStore,
    preValidation: read,
  }, async ({ tenant, query }) => contacts.list(tenant.id, {
    email: query.email,
    status: query.status,
    q: query.q,
    limit: query.limit === undefined ? CONTACT_PAGE.defaultLimit : Number(query.limit),
    cursor: query.cursor,
  }));

  app.get('/api/v1/contacts/:id', {
    config,
    schema: { summary: 'Get a contact', tags, security: security(READ), params: ContactParams, response: { 200: Contact, ...errors } },
    onRequest: noStore,
    preValidation: read,
  }, async ({ tenant, params }) => contacts.get(tenant.id, params.id));

  app.post('/api/v1/contacts', {
    config,
    schema: { summary: 'Create a contact', tags, security: security(WRITE), body: CreateContactBody, response: { 201: Contact, ...errors } },
    onRequest: noStore,
    preValidation: write,
  }, async ({ tenant, body }, reply) => reply.code(201).send(await contacts.create(tenant.id, body)));

  app.patch('/api/v1/contacts/:id', {
    config,
    schema: { summary: 'Update a contact', tags, security: security(WRITE), params: ContactParams, body: UpdateContactBody, response: { 200: Contact, ...errors } },
    onRequest: noStore,
    preValidation: write,
  }, async ({ tenant, params, body }) => contacts.update(tenant.id, params.id, body));

  app.post('/api/v1/contacts/:id/unsubscribe', {
    config,
    schema: { summary: 'Unsubscribe a contact', description: 'Idempotent: an unsubscribed contact is answered as it is.', tags, security: security(WRITE), params: ContactParams, response: { 200: Contact, ...errors } },
    onRequest: noStore,
    preValidation: write,
  }, async ({ tenant, params }) => contacts.unsubscribe(tenant.id, params.id));

  app.post('/api/v1/contacts/:id/resubscribe', {
    config,
    schema: { summary: 'Resubscribe a contact', description: 'Undoes unsubscribe; idempotent: a subscribed contact is answered as it is.', tags, security: security(WRITE), params: ContactParams, response: { 200: Contact, ...errors } },
    onRequest: noStore,
    preValidation: write,
  }, async ({ tenant, params }) => contacts.resubscribe(tenant.id, params.id));

  app.delete('/api/v1/contacts/:id', {
    config,
    schema: { summary: 'Delete a contact', tags, security: security(WRITE), params: ContactParams, response: { 204: Deleted, ...errors } },
    onRequest: noStore,
    preValidation: write,
  }, async ({ tenant, params }, reply) => {
    await contacts.delete(tenant.id, params.id);
    return reply.code(204).send(null);
  });
};
