import { Type, type Static } from '@sinclair/typebox';

/**
 * Contacts API schemas (DESIGN "Resource API"): one source for request validation (400 naming
 * the field), response serialization and the OpenAPI document at /openapi.json.
 */
const Email = Type.String({ format: 'email', minLength: 3, maxLength: 320, description: 'Unique per tenant, case-insensitively' });
const Name = Type.String({ minLength: 1, maxLength: 200 });
const Phone = Type.String({ minLength: 1, maxLength: 64, pattern: '^[0-9+()./ -]+$', description: 'Digits, spaces and + ( ) . / - only' });
const Tags = Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { maxItems: 50, uniqueItems: true });

export const ContactStatus = Type.Union([Type.Literal('subscribed'), Type.Literal('unsubscribed')]);

export const Contact = Type.Object(
  {
    id: Type.String(),
    email: Type.String(),
    name: Type.Union([Type.String(), Type.Null()]),
    phone: Type.Union([Type.String(), Type.Null()]),
    tags: Type.Array(Type.String()),
    status: ContactStatus,
    created_at: Type.String({ format: 'date-time' }),
    updated_at: Type.String({ format: 'date-time' }),
  },
  { title: 'Contact' },
);
export type Contact = Static<typeof Contact>;

export const ContactList = Type.Object({
  data: Type.Array(Contact),
  next_cursor: Type.Union([Type.String(), Type.Null()], { description: 'Pass as `cursor` for the next page; null on the last page' }),
});

export const CreateContactBody = Type.Object(
  { email: Email, name: Type.Optional(Name), phone: Type.Optional(Phone), tags: Type.Optional(Tags) },
  { additionalProperties: false },
);
export type CreateContactBody = Static<typeof CreateContactBody>;

export const UpdateContactBody = Type.Object(
  {
    email: Type.Optional(Email),
    name: Type.Optional(Type.Union([Name, Type.Null()])),
    phone: Type.Optional(Type.Union([Phone, Type.Null()])),
    tags: Type.Optional(Tags),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type UpdateContactBody = Static<typeof UpdateContactBody>;

export const ListContactsQuery = Type.Object(
  {
    email: Type.Optional(Type.String({ minLength: 1, maxLength: 320, description: 'Exact email, case-insensitive' })),
    status: Type.Optional(ContactStatus),
    q: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'Text searched in name and email' })),
    // Query strings are not coerced (ajv coerceTypes is off), so the number is matched as text.
    // Validation errors read the description as the rule (http/validation-message.ts): "limit must be …".
    limit: Type.Optional(Type.String({ pattern: '^(?:[1-9]|[1-9][0-9]|100)$', description: 'A whole number from 1 to 100 (page size, default 20)' })),
    cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 200, pattern: '^[A-Za-z0-9_-]+$', description: 'The next_cursor of the previous page' })),
  },
  { additionalProperties: false },
);
export type ListContactsQuery = Static<typeof ListContactsQuery>;

export const Deleted = Type.Null({ description: 'Deleted' });

export const ContactParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });
export type ContactParams = Static<typeof ContactParams>;

/**
 * RFC 6750 §3 / RFC 6749 §5.2 error body. `error` is absent only on a 401 to a request that carried no
 * credentials (RFC 6750 §3.1: no error code then).
 */
