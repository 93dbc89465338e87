import type { FastifyRequest } from 'fastify';
import { InvalidRequest } from '../errors.js';

/** How deep a parsed body is searched; deeper bodies fail schema validation anyway. */
const MAX_DEPTH = 32;

function containsNul(value: unknown, depth: number): boolean {
  if (typeof value === 'string') return value.includes('\u0000');
  if (value === null || typeof value !== 'object' || depth > MAX_DEPTH) return false;
  // Loops rather than entries()/some(): this runs on every request, over every form field.
  if (Array.isArray(value)) {
    for (const item of value) if (containsNul(item, depth + 1)) return true;
    return false;
  }
  for (const key in value) {
    if (key.includes('\u0000') || containsNul((value as Record<string, unknown>)[key], depth + 1)) return true;
  }
  return false;
}

/**
 * A `preValidation` hook for every route: a NUL character (U+0000) anywhere in the path
 * parameters, query or parsed body is a 400 invalid_request. No Keymint value may hold one, and
 * PostgreSQL refuses it in text parameters, so without this a `client_id`, contact name or search
 * term with `%00` was a 500 on PostgreSQL and fine on SQLite (found by security/fuzz.test.ts).
 */
export async function rejectNulCharacters(request: FastifyRequest): Promise<void> {
  if (containsNul(request.params, 0) || containsNul(request.query, 0) || containsNul(request.body, 0)) {
    throw new InvalidRequest('the request contains a NUL character');
  }
}
