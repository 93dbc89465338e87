import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { DPOP_ALGORITHMS, resourceMetadataUrl } from '@keymint/sdk/node';
import { anyOriginCors, anyOriginPreflight } from '../http/cors-any-origin.js';
import { errorResponses } from '../http/error-body.js';
import { defaultAudience } from '../oauth/client-credentials.js';
import type { TenantService } from '../tenants/service.js';

/** RFC 9728 §2. Open: a member added later is served before it is listed here. */
export const ProtectedResourceMetadata = Type.Object({
  resource: Type.String(),
  authorization_servers: Type.Array(Type.String()),
  scopes_supported: Type.Array(Type.String()),
  bearer_methods_supported: Type.Array(Type.String()),
  dpop_signing_alg_values_supported: Type.Array(Type.String(), { description: 'RFC 9728 §2: the DPoP proof algorithms the API accepts' }),
  resource_documentation: Type.String(),
}, { additionalProperties: true, title: 'ProtectedResourceMetadata' });

/** What the Contacts API needs: the scopes of its operations (contacts/routes.ts). */
export const CONTACT_SCOPES = { read: 'contacts_read', write: 'contacts_write' } as const;

/**
 * The Contacts API of one tenant as an RFC 9728 protected resource. Its resource identifier is
 * the audience of the tenant's tokens (`{issuer}/api`), so a client that follows this document
 * and asks for that resource (RFC 8707) gets a token the API accepts.
 */
export function contactsResourceMetadata(issuer: string, publicUrl: string): Static<typeof ProtectedResourceMetadata> {
  return {
    resource: defaultAudience(issuer),
    authorization_servers: [issuer],
    scopes_supported: [CONTACT_SCOPES.read, CONTACT_SCOPES.write],
    // RFC 6750 §2.1 only: a token in a query or form body is refused (resource/authenticate.ts).
    bearer_methods_supported: ['header'],
    // RFC 9449 §7.1: DPoP-bound tokens are accepted as `Authorization: DPoP` with a proof.
    dpop_signing_alg_values_supported: [...DPOP_ALGORITHMS],
    resource_documentation: `${publicUrl}/docs`,
  };
}

export interface ResourceMetadataRoutesOptions {
  tenants: TenantService;
  publicUrl: () => string;
}

/** RFC 9728 §3.1: the metadata of `{issuer}/api` at the well-known path inserted before the resource's path. */
export const resourceMetadataRoutes: FastifyPluginAsyncTypebox<ResourceMetadataRoutesOptions> = async (app, { tenants, publicUrl }) => {
  const url = '/.well-known/oauth-protected-resource/t/:tenant/api';
  app.get(url, {
    schema: { summary: 'Protected resource metadata of the Contacts API (RFC 9728)', tags: ['discovery'], params: Type.Object({ tenant: Type.String() }), response: { 200: ProtectedResourceMetadata, ...errorResponses } },
    onRequest: anyOriginCors,
  }, async (request, reply) => {
    const tenant = await tenants.get(request.params.tenant);
    reply.header('cache-control', 'public, max-age=60');
    return contactsResourceMetadata(`${publicUrl()}/t/${tenant.slug}`, publicUrl());
  });
  anyOriginPreflight(app, url);
};

/**
 * An `onSend` hook for resource routes: every Bearer challenge names the API's metadata
 * (RFC 9728 §5.1 `resource_metadata`), so a client refused here can find the authorization
 * server and scopes it needs.
 */
export async function announceResourceMetadata(request: FastifyRequest, reply: FastifyReply, payload: unknown): Promise<unknown> {
  const challenge = reply.getHeader('www-authenticate');
  // One challenge per header line (Bearer, DPoP: http/errors.ts): each names the metadata.
  const challenges = typeof challenge === 'string' ? [challenge] : Array.isArray(challenge) ? challenge : [];
  if (challenges.length > 0 && challenges.every((c) => /^(?:Bearer|DPoP) /.test(c)) && request.issuer) {
    const named = challenges.map((c) => `${c}, resource_metadata="${resourceMetadataUrl(defaultAudience(request.issuer))}"`);
    reply.header('www-authenticate', named.length === 1 ? named[0]! : named);
  }
  return payload;
}
