import type { FastifyRequest } from 'fastify';
import { readCookie as readCookieHeader } from '@keymint/sdk/node';

/**
 * The one cookie reader of the server (console session, end-user access and refresh cookies),
 * on the SDK's parser so app backends and the server read a Cookie header alike (RFC 6265
 * §5.4: the first of two same-named cookies wins, the one with the longer Path). A value is
 * percent-decoded when it decodes, as @fastify/cookie does; an empty value counts as absent,
 * since a cleared cookie is sent as `name=` until the browser drops it.
 */
export function readCookie(request: FastifyRequest, name: string): string | undefined {
  const raw = readCookieHeader(request.headers.cookie, name);
  if (raw === undefined || raw === '') return undefined;
  if (!raw.includes('%')) return raw;
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}
