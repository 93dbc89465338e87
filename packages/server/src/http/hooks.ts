import type { FastifyReply, FastifyRequest } from 'fastify';
import { InvalidRequest } from '../errors.js';
import type { FormBody } from './form-body.js';

/** RFC 6749 §5.1, RFC 7662 / 7009: responses carrying tokens must not be cached. */
export async function noStore(_request: FastifyRequest, reply: FastifyReply): Promise<void> {
  reply.header('cache-control', 'no-store');
  reply.header('pragma', 'no-cache');
}

/** RFC 6749 §3.2: token endpoint requests are `application/x-www-form-urlencoded`. */
export async function formBodyOnly(request: FastifyRequest): Promise<void> {
  const type = request.headers['content-type']?.split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/x-www-form-urlencoded') {
    throw new InvalidRequest('the request body must be application/x-www-form-urlencoded');
  }
  if (request.body === undefined || request.body === null) request.body = Object.create(null);
}

/** RFC 6749 §3.1: "Request and response parameters MUST NOT be included more than once." */
export function rejectDuplicateParams(except: readonly string[] = []) {
  return async function rejectDuplicates(request: FastifyRequest): Promise<void> {
    const body = request.body as FormBody;
    for (const [name, value] of Object.entries(body)) {
      if (Array.isArray(value) && !except.includes(name)) throw new InvalidRequest(`parameter ${name} was sent more than once`);
    }
  };
}

/** A single form parameter as a string, or undefined when absent. Empty strings count as absent (RFC 6749 §3.1). */
export function param(body: FormBody, name: string): string | undefined {
  const value = body[name];
  if (Array.isArray(value)) throw new InvalidRequest(`parameter ${name} was sent more than once`);
  return value === '' ? undefined : value;
}

/** Every value of a parameter that may repeat (RFC 8707 `resource`). */
export function params(body: FormBody, name: string): string[] {
  const value = body[name];
  if (value === undefined) return [];
  return (Array.isArray(value) ? value : [value]).filter((v) => v !== '');
}
