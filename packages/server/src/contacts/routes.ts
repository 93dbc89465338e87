import type { FastifyInstance } from 'fastify';
import { errorResponses as errors } from '../http/error-body.js';
import { noStore } from '../http/no-store.js';
import type { Keymint } from '../keymint.js';
import { requireScope } from '../resource/authenticate.js';
import { CONTACT_PAGE } from './model.js';
import {
  Contact, ContactList, ContactParams, CreateContactBody, ListContactsQuery, UpdateContactBody,
} from './schemas.js';
import { ContactService } from './service.js';

const READ = 'contacts_read';
const WRITE = 'contacts_write';

/** OpenAPI: RFC 6750 Bearer, with the scope each operation needs. */
const security = (scope: string) => [{ bearerAuth: [scope] }];

/** The Contacts resource API under `/t/:tenant/api/v1/contacts` (DESIGN "Resource API"). */
export async function contactRoutes(app: FastifyInstance, { keymint }: { keymint: Keymint }): Promise<void> {
  const contacts = new ContactService(keymint.db, keymint.changes, keymint.now);
  const read = requireScope(keymint.bearer, READ);
  const write = requireScope(keymint.bearer, WRITE);
  app.decorateRequest('principal', null);
  // Every failure here answers in RFC 6750 shape with its WWW-Authenticate challenge, and
  // nothing about contacts may be stored by shared caches.
  const config = { errorProfile: 'bearer' as const };
  const tags = ['contacts'];

  app.get('/api/v1/contacts', {
    config,
    schema: { summary: 'List contacts', tags, security: security(READ), querystring: ListContactsQuery, response: { 200: ContactList, ...errors } },
    onRequest: noStore,
    preValidation: read,
  }, async (request) => {
    const query = request.query as ListContactsQuery;
    return contacts.list(request.tenant.id, {
      email: query.email,
      status: query.status,
      q: query.q,
      limit: query.limit === undefined ? CONTACT_PAGE.defaultLimit : Number(query.limit),
      cursor: query.cursor,
    });
  });

  app.get('/api/v1/contacts/:id', {
    config,
    schema: { summary: 'Get a contact', tags, security: security(READ), params: ContactParams, response: { 200: Contact, ...errors } },
    onRequest: noStore,
    preValidation: read,
  }, async (request) => contacts.get(request.tenant.id, (request.params as ContactParams).id));

  app.post('/api/v1/contacts', {
    config,
    schema: { summary: 'Create a contact', tags, security: security(WRITE), body: CreateContactBody, response: { 201: Contact, ...errors } },
    onRequest: noStore,
    preValidation: write,
  }, async (request, reply) => {
    const contact = await contacts.create(request.tenant.id, request.body as CreateContactBody);
    return reply.code(201).send(contact);
  });

  app.patch('/api/v1/contacts/:id', {
    config,
    schema: { summary: 'Update a contact', tags, security: security(WRITE), params: ContactParams, body: UpdateContactBody, response: { 200: Contact, ...errors } },
    onRequest: noStore,
    preValidation: write,
  }, async (request) => contacts.update(request.tenant.id, (request.params as ContactParams).id, request.body as UpdateContactBody));

  app.post('/api/v1/contacts/:id/unsubscribe', {
    config,
    schema: { summary: 'Unsubscribe a contact', tags, security: security(WRITE), params: ContactParams, response: { 200: Contact, ...errors } },
    onRequest: noStore,
    preValidation: write,
  }, async (request) => contacts.unsubscribe(request.tenant.id, (request.params as ContactParams).id));

  app.delete('/api/v1/contacts/:id', {
    config,
    schema: { summary: 'Delete a contact', tags, security: security(WRITE), params: ContactParams, response: { 204: { type: 'null', description: 'Deleted' }, ...errors } },
    onRequest: noStore,
    preValidation: write,
  }, async (request, reply) => {
    await contacts.delete(request.tenant.id, (request.params as ContactParams).id);
    return reply.code(204).send();
  });
}
