import { ClientKeyError, parseClientPublicKey, type ClientPublicKey } from '../crypto/client-keys.js';
import { InvalidRequest } from '../errors.js';
import type { Scope } from '../tenants/model.js';
import { APP_LIMITS, AUTH_METHODS, TOKEN_FORMATS, type AuthMethod, type TokenFormat } from './model.js';

// App settings as an operator gives them (admin API, CLI, console), checked before anything is written.

export function validateName(name: string | undefined): string {
  const trimmed = name?.trim() ?? '';
  if (trimmed.length < 1 || trimmed.length > 200) throw new InvalidRequest('name must be 1-200 characters');
  return trimmed;
}

/** Scopes must come from the tenant's catalog: an app cannot be granted a scope nobody defined. */
export function validateScopes(requested: string[], catalog: Scope[]): string[] {
  const known = new Set(catalog.map((s) => s.name));
  const unknown = requested.filter((s) => !known.has(s));
  if (unknown.length > 0) throw new InvalidRequest(`unknown scope(s): ${unknown.join(', ')}; the catalog has ${[...known].join(', ')}`);
  return [...new Set(requested)];
}

export function validateAudiences(audiences: string[]): string[] {
  for (const audience of audiences) {
    if (!/^\S{1,512}$/.test(audience)) throw new InvalidRequest('each audience must be 1-512 characters without spaces');
  }
  return [...new Set(audiences)];
}

export function validateLifetime(lifetime: number | null): number | null {
  if (lifetime === null) return null;
  if (!Number.isInteger(lifetime) || lifetime < APP_LIMITS.minTokenLifetime || lifetime > APP_LIMITS.maxTokenLifetime) {
    throw new InvalidRequest(`token lifetime must be a whole number of seconds from ${APP_LIMITS.minTokenLifetime} to ${APP_LIMITS.maxTokenLifetime}`);
  }
  return lifetime;
}

export function validateTokenFormat(format: string): TokenFormat {
  if (!(TOKEN_FORMATS as readonly string[]).includes(format)) {
    throw new InvalidRequest(`token format must be one of: ${TOKEN_FORMATS.join(', ')}`);
  }
  return format as TokenFormat;
}

export function validateAuthMethods(methods: string[]): AuthMethod[] {
  const bad = methods.filter((m) => !(AUTH_METHODS as readonly string[]).includes(m));
  if (bad.length > 0 || methods.length === 0) {
    throw new InvalidRequest(`auth methods must be one or more of: ${AUTH_METHODS.join(', ')}`);
  }
  // A private_key_jwt app holds no shared secret at all (RFC 7523 §2.2): it cannot also use one.
  if (methods.includes('private_key_jwt') && methods.some((m) => m !== 'private_key_jwt')) {
    throw new InvalidRequest('private_key_jwt cannot be combined with secret methods: an app authenticates either with its keys or with secrets');
  }
  return [...new Set(methods)] as AuthMethod[];
}

/**
 * A client_id given by the operator (config as code): characters that need no escaping in Basic
 * credentials (RFC 6749 §2.3.1) or URLs; the column holds 64.
 */
export function validateClientId(clientId: string): string {
  if (!/^[A-Za-z0-9._-]{3,64}$/.test(clientId)) throw new InvalidRequest('client_id must be 3-64 letters, digits, dots, dashes or underscores');
  return clientId;
}

/**
 * A JWKS of public keys for private_key_jwt (RFC 7517 §5): `{"keys": [...]}` with 1 to
 * APP_LIMITS.maxKeys keys, each public (crypto/client-keys.ts says which), kids unique, no key twice.
 * `existing` are the app's keys already registered, which count against the bound and the uniqueness.
 */
export async function validateJwks(jwks: unknown, existing: readonly { kid: string; thumbprint: string }[] = []): Promise<ClientPublicKey[]> {
  if (typeof jwks !== 'object' || jwks === null || !Array.isArray((jwks as { keys?: unknown }).keys)) {
    throw new InvalidRequest('jwks must be a JWK Set: {"keys": [ ...public JWKs ]}');
  }
  const input = (jwks as { keys: unknown[] }).keys;
  if (input.length === 0) throw new InvalidRequest('jwks must hold at least one key');
  if (input.length + existing.length > APP_LIMITS.maxKeys) throw new InvalidRequest(`an app holds at most ${APP_LIMITS.maxKeys} keys`);
  const keys: ClientPublicKey[] = [];
  for (const [index, entry] of input.entries()) {
    try {
      keys.push(await parseClientPublicKey(entry));
    } catch (error) {
      if (error instanceof ClientKeyError) throw new InvalidRequest(`jwks key ${index + 1}: ${error.message}`);
      throw error;
    }
  }
  const all = [...existing, ...keys];
  const kids = new Set(all.map((k) => k.kid));
  if (kids.size !== all.length) throw new InvalidRequest('every key needs a distinct kid');
  if (new Set(all.map((k) => k.thumbprint)).size !== all.length) throw new InvalidRequest('the same key is listed twice');
  return keys;
}
