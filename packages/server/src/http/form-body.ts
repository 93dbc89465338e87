import type { FastifyInstance } from 'fastify';

/** A parsed `application/x-www-form-urlencoded` body; a repeated name keeps every value. */
export type FormBody = Record<string, string | string[]>;

export const FORM_BODY_LIMIT = 16 * 1024;

/** Parses form bodies with URLSearchParams (`+` is a space, %XX decoded), keeping repeats visible. */
export function parseForm(text: string): FormBody {
  const body: FormBody = Object.create(null) as FormBody;
  for (const [name, value] of new URLSearchParams(text)) {
    const existing = body[name];
    if (existing === undefined) body[name] = value;
    else body[name] = Array.isArray(existing) ? [...existing, value] : [existing, value];
  }
  return body;
}

export function registerFormParser(app: FastifyInstance): void {
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: FORM_BODY_LIMIT }, (_request, text, done) => {
    done(null, parseForm(text as string));
  });
}
