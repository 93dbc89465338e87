import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { InvalidRequest } from '../errors.js';

/** A parsed `application/x-www-form-urlencoded` body; a repeated name keeps every value. */
export type FormBody = Record<string, string | string[]>;

const FormValue = Type.Union([Type.String(), Type.Array(Type.String())]);

/**
 * Body schema of a form route: the parameters it reads, named with their descriptions for
 * OpenAPI, and `request.body` typed as the FormBody parseForm made. Every one is optional and any
 * other parameter is accepted as sent: which are required, and repeats, are the route's rules
 * (param(), and rejectDuplicateParams, which runs before validation), so their errors stay
 * RFC 6749's. `repeatable` names those a spec lets repeat (RFC 8707 `resource`).
 */
export function formBody(parameters: Record<string, string>, repeatable: readonly string[] = []) {
  const properties = Object.fromEntries(Object.entries(parameters).map(([name, description]) => [
    name,
    Type.Optional(repeatable.includes(name) ? Type.Union([Type.String(), Type.Array(Type.String())], { description }) : Type.String({ description })),
  ]));
  return Type.Unsafe<FormBody>(Type.Object(properties, { additionalProperties: FormValue }));
}

export const FORM_BODY_LIMIT = 16 * 1024;

/**
 * Parameters a form body may carry. Every Keymint form route reads fewer than 20; the cap stops a
 * 16 KB body of `a=&a=&…` (thousands of names) from being parsed at all, before any route code.
 */
export const FORM_MAX_PARAMETERS = 100;

/**
 * Parses form bodies with URLSearchParams (`+` is a space, %XX decoded), keeping repeats visible.
 * Linear in the input: repeats are pushed onto one array, never copied per repeat (issue 14: the
 * copy made a body of one name repeated n times cost O(n²)). More than `maxParameters` parameters
 * is a 400 invalid_request, counted on the raw text before anything is decoded.
 */
export function parseForm(text: string, maxParameters = FORM_MAX_PARAMETERS): FormBody {
  let separators = 0;
  for (let i = text.indexOf('&'); i !== -1; i = text.indexOf('&', i + 1)) {
    if (++separators >= maxParameters) throw new InvalidRequest(`the form body has more than ${maxParameters} parameters`);
  }
  const body: FormBody = Object.create(null) as FormBody;
  for (const [name, value] of new URLSearchParams(text)) {
    const existing = body[name];
    if (existing === undefined) body[name] = value;
    else if (Array.isArray(existing)) existing.push(value);
    else body[name] = [existing, value];
  }
  return body;
}

export function registerFormParser(app: FastifyInstance): void {
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: FORM_BODY_LIMIT }, (_request, text, done) => {
    try {
      done(null, parseForm(text as string));
    } catch (error) {
      done(error as Error, undefined);
    }
  });
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
