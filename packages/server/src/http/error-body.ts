import { Type } from '@sinclair/typebox';

/**
 * The `{error, error_description}` body every non-envelope route answers failures with
 * (sendError in errors.ts): RFC 6749 §5.2 on OAuth and end-user routes, the admin API's errors.
 * `error` is absent only in RFC 6750 §3.1's answer to a request that carried no credentials.
 * The envelope profile has its own shape (profiles/schemas.ts).
 */
export const ErrorBody = Type.Object({
  error: Type.Optional(Type.String({ description: 'RFC 6749 §5.2 / RFC 6750 §3.1 error code' })),
  error_description: Type.String(),
}, { title: 'Error' });

/** Response schemas for every failure status of a route. */
export const errorResponses = { '4xx': ErrorBody, '5xx': ErrorBody };
