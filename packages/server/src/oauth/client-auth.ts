import { decodeJwt } from 'jose';
import type { App, AuthMethod } from '../apps/model.js';
import type { AppService } from '../apps/service.js';
import { InvalidClient, InvalidRequest } from '../errors.js';
import type { Tenant } from '../tenants/model.js';
import { CLIENT_ASSERTION_TYPE, verifyClientAssertion, type AssertionContext } from './private-key-jwt.js';
import { matchClientSecret } from './secret-matching.js';

/** A client secret as presented, before it is checked. */
export interface PresentedSecret {
  method: Extract<AuthMethod, 'client_secret_basic' | 'client_secret_post'>;
  clientId: string;
  clientSecret: string;
}

/** A private_key_jwt assertion as presented (RFC 7523 §2.2), before it is checked. */
export interface PresentedAssertion {
  method: 'private_key_jwt';
  /** client_id from the body, else the assertion's unverified `sub` ('' when neither): the failure budget's key. */
  clientId: string;
  assertion: string;
}

/** Credentials as presented, before they are checked. */
export type PresentedCredentials = PresentedSecret | PresentedAssertion;

/** The client-authentication parameters a form body may carry. */
export interface CredentialParameters {
  client_id?: string;
  client_secret?: string;
  client_assertion_type?: string;
  client_assertion?: string;
}

/** RFC 6749 Appendix B: form-url-decoding, where `+` is a space. Malformed %-escapes are a bad request. */
function formDecode(text: string, what: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    throw new InvalidRequest(`${what} in the Authorization header is not valid form-url-encoding`);
  }
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * Reads client credentials from the Authorization header (RFC 6749 §2.3.1 `client_secret_basic`)
 * or the body (`client_secret_post`). Pure: no lookups, only the rules of the request's shape.
 */
export function readClientCredentials(authorization: string | undefined, body: { client_id?: string; client_secret?: string }): PresentedSecret;
export function readClientCredentials(authorization: string | undefined, body: CredentialParameters): PresentedCredentials;
export function readClientCredentials(authorization: string | undefined, body: CredentialParameters): PresentedCredentials {
  if (body.client_assertion_type !== undefined || body.client_assertion !== undefined) return readClientAssertion(authorization, body);
  if (authorization !== undefined) {
    const match = /^Basic(?: +(\S*))?$/i.exec(authorization.trim());
    if (!match) throw new InvalidRequest('the Authorization header must use the Basic scheme');
    const encoded = match[1] ?? '';
    if (encoded === '' || !BASE64.test(encoded) || encoded.length % 4 !== 0) {
      throw new InvalidRequest('the Basic credentials are not valid base64');
    }
    const decoded = Buffer.from(encoded, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) throw new InvalidRequest('the Basic credentials must be client_id:client_secret');
    const clientId = formDecode(decoded.slice(0, colon), 'the client id');
    const clientSecret = formDecode(decoded.slice(colon + 1), 'the client secret');
    if (clientId === '') throw new InvalidRequest('the Basic credentials have an empty client id');
    if (clientSecret === '') throw new InvalidRequest('the Basic credentials have an empty client secret');
    // RFC 6749 §2.3: "The client MUST NOT use more than one authentication method in each request."
    if (body.client_secret !== undefined) throw new InvalidRequest('send client credentials either in the Authorization header or in the body, not both');
    if (body.client_id !== undefined && body.client_id !== clientId) throw new InvalidRequest('client_id in the body differs from the one in the Authorization header');
    return { method: 'client_secret_basic', clientId, clientSecret };
  }
  if (body.client_id === undefined) throw new InvalidRequest('client authentication is required: use HTTP Basic or client_id and client_secret in the body');
  if (body.client_secret === undefined) throw new InvalidRequest('client_secret is required');
  return { method: 'client_secret_post', clientId: body.client_id, clientSecret: body.client_secret };
}

/**
 * RFC 7521 §4.2 / RFC 7523 §2.2: `client_assertion_type` (the JWT bearer URN) with `client_assertion`,
 * `client_id` optional. One method per request (RFC 6749 §2.3): no Authorization header, no secret.
 */
function readClientAssertion(authorization: string | undefined, body: CredentialParameters): PresentedAssertion {
  if (authorization !== undefined || body.client_secret !== undefined) {
    throw new InvalidRequest('send a client assertion or a client secret, not both: one authentication method per request');
  }
  if (body.client_assertion_type !== CLIENT_ASSERTION_TYPE) throw new InvalidRequest(`client_assertion_type must be ${CLIENT_ASSERTION_TYPE}`);
  if (body.client_assertion === undefined) throw new InvalidRequest('client_assertion is required with client_assertion_type');
  let subject: unknown;
  try {
    subject = decodeJwt(body.client_assertion).sub;
  } catch {
    // Malformed: refused as invalid_client when checked, like any other bad assertion.
  }
  const clientId = body.client_id ?? (typeof subject === 'string' ? subject.slice(0, 64) : '');
  return { method: 'private_key_jwt', clientId, assertion: body.client_assertion };
}

/**
 * Checks presented credentials against the tenant's apps. Every failure (unknown client, another
 * tenant's client, wrong, revoked or expired secret, disabled app, method not allowed) is the same
 * invalid_client, so a caller learns nothing about which client ids exist. An assertion is checked
 * against the app's public keys (oauth/private-key-jwt.ts) and only for a private_key_jwt app.
 */
export async function authenticateClient(apps: AppService, tenant: Tenant, credentials: PresentedCredentials, now: number, assertions: Omit<AssertionContext, 'now'>): Promise<App> {
  const record = await apps.findClient(credentials.clientId);
  const inTenant = record && record.app.tenantId === tenant.id ? record : null;
  if (credentials.method === 'private_key_jwt') {
    const usable = inTenant !== null && inTenant.app.status === 'active' && inTenant.app.authMethods.includes('private_key_jwt');
    if (!usable || !(await verifyClientAssertion(inTenant, credentials.assertion, { ...assertions, now }))) {
      throw new InvalidClient('client authentication failed');
    }
    return inTenant.app;
  }
  const secretId = matchClientSecret(inTenant, credentials.clientSecret, now);
  if (secretId) apps.recordSecretUse(secretId);
  if (!inTenant || !secretId || inTenant.app.status !== 'active' || !inTenant.app.authMethods.includes(credentials.method)) {
    const failure = new InvalidClient('client authentication failed');
    failure.usedAuthorizationHeader = credentials.method === 'client_secret_basic';
    throw failure;
  }
  return inTenant.app;
}
