import type { FastifySchemaValidationError } from 'fastify';

/** What ajv's `verbose` option adds to an error: the schema object that failed. */
interface VerboseError extends FastifySchemaValidationError {
  parentSchema?: { description?: string; format?: string; properties?: Record<string, unknown> };
}

/** Ajv formats in words a person recognises; others are named as they are. */
const FORMATS: Record<string, string> = { email: 'an email address', 'date-time': 'an RFC 3339 date-time', uri: 'an absolute URL' };

/** A caller's property name as text: JSON-quoted (no control characters), at most 64 characters. */
function shown(name: unknown): string {
  const text = String(name);
  return JSON.stringify(text.length > 64 ? `${text.slice(0, 64)}…` : text);
}

function allowedNames(error: VerboseError): string {
  const names = Object.keys(error.parentSchema?.properties ?? {});
  return names.length > 0 ? ` (allowed: ${names.join(', ')})` : '';
}

/** The rule an error broke, in words; never ajv's text for `pattern`, which quotes the regex. */
function broken(error: VerboseError, errors: VerboseError[]): string {
  const { params } = error;
  switch (error.keyword) {
    case 'minLength': return `must be at least ${String(params.limit)} characters long`;
    case 'maxLength': return `must be at most ${String(params.limit)} characters long`;
    case 'minItems': return `must have at least ${String(params.limit)} items`;
    case 'maxItems': return `must have at most ${String(params.limit)} items`;
    case 'minimum': return `must be ${String(params.limit)} or more`;
    case 'maximum': return `must be ${String(params.limit)} or less`;
    case 'uniqueItems': return `must not repeat a value (items ${String(params.i)} and ${String(params.j)} are the same)`;
    case 'type': return `must be a ${String(params.type)}`;
    case 'format': return `must be ${FORMATS[String(params.format)] ?? `in ${String(params.format)} format`}`;
    case 'enum': return `must be one of: ${(params.allowedValues as unknown[]).join(', ')}`;
    case 'const': {
      // A union of literals (TypeBox) fails every branch: name all the values it allows.
      const values = errors.filter((e) => e.keyword === 'const' && e.instancePath === error.instancePath).map((e) => String(e.params.allowedValue));
      return `must be ${values.length > 1 ? 'one of: ' : ''}${values.join(', ')}`;
    }
    case 'pattern': {
      const words = error.parentSchema?.description;
      return words ? `must be ${words.charAt(0).toLowerCase()}${words.slice(1)}` : 'is not in the expected format';
    }
    default: return error.message ?? 'is not valid';
  }
}

/**
 * A schema validation failure as one sentence naming the field and the rule in words
 * (`querystring.limit must be a whole number from 1 to 100`, `querystring has no parameter
 * "sort" (allowed: …)`): ajv's own text quotes regexes and omits the unknown property's name.
 */
export function validationMessage(errors: FastifySchemaValidationError[], where: string): string {
  const all = errors as VerboseError[];
  const first = all[0];
  if (!first) return `${where} is invalid`;
  const at = first.instancePath ? `${where}.${first.instancePath.slice(1).replace(/\//g, '.')}` : where;
  const noun = where === 'querystring' ? 'parameter' : 'field';
  switch (first.keyword) {
    case 'required': return `${at}.${String(first.params.missingProperty)} is required`;
    case 'additionalProperties': return `${at} has no ${noun} ${shown(first.params.additionalProperty)}${allowedNames(first)}`;
    case 'minProperties': return `${at} must name at least one ${noun}${allowedNames(first)}`;
    default: return `${at} ${broken(first, all)}`;
  }
}
