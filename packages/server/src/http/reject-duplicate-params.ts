import type { FastifyRequest } from 'fastify';
import { InvalidRequest } from '../errors.js';

/**
 * `preValidation` rule for form endpoints, after formBodyOnly. RFC 6749 §3.1: "Request and
 * response parameters MUST NOT be included more than once." Checked for every parameter, read
 * or not: `param()` refuses a repeat of the parameters a route reads, this refuses the rest
 * (an extension parameter sent twice is as malformed). `except` names parameters a spec lets
 * repeat (RFC 8707 `resource`).
 */
export function rejectDuplicateParams(except: readonly string[] = []) {
  return async function rejectDuplicates(request: FastifyRequest): Promise<void> {
    // A parsed form (formBodyOnly runs first): an object whose repeated names hold arrays.
    const body = request.body;
    if (typeof body !== 'object' || body === null) return;
    for (const [name, value] of Object.entries(body)) {
      if (Array.isArray(value) && !except.includes(name)) throw new InvalidRequest(`parameter ${name} was sent more than once`);
    }
  };
}
