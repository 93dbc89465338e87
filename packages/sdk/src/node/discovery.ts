/** The part of RFC 8414 authorization server metadata the SDK uses. */
export interface IssuerMetadata {
  issuer: string;
  token_endpoint?: string;
  jwks_uri?: string;
  [name: string]: unknown;
}

export type FetchLike = typeof fetch;

/** Every HTTP call the SDK makes gives up after this long, so nothing waits forever on a dead issuer. */
export const HTTP_TIMEOUT_MS = 5_000;

/**
 * RFC 8414 §3.1: the metadata URL inserts `/.well-known/oauth-authorization-server` between the
 * issuer's origin and its path (`https://auth.example.com/t/acme` →
 * `https://auth.example.com/.well-known/oauth-authorization-server/t/acme`).
 */
export function metadataUrl(issuer: string): string {
  const url = new URL(issuer);
  const path = url.pathname === '/' ? '' : url.pathname.replace(/\/+$/, '');
  return `${url.origin}/.well-known/oauth-authorization-server${path}`;
}

/**
 * Fetches the issuer's metadata. RFC 8414 §3.3: the `issuer` in the document must equal the
 * configured issuer exactly, else the document is refused (it could name another issuer's keys).
 */
export async function discover(issuer: string, fetchImpl: FetchLike): Promise<IssuerMetadata> {
  const response = await fetchImpl(metadataUrl(issuer), {
    headers: { accept: 'application/json' },
    signal: AbortSignal.timeout(HTTP_TIMEOUT_MS),
  });
  if (!response.ok) throw new Error(`issuer metadata answered HTTP ${response.status}`);
  const metadata = (await response.json()) as IssuerMetadata;
  if (metadata === null || typeof metadata !== 'object' || metadata.issuer !== issuer) {
    throw new Error('issuer metadata names a different issuer (RFC 8414 §3.3)');
  }
  return metadata;
}

/** Seconds of `Cache-Control: max-age`, or undefined when the header does not say (`no-store` and `no-cache` say 0). */
export function maxAgeSeconds(cacheControl: string | null): number | undefined {
  if (!cacheControl) return undefined;
  if (/(?:^|,)\s*no-(?:store|cache)\b/i.test(cacheControl)) return 0;
  const match = /(?:^|,)\s*max-age\s*=\s*"?(\d+)"?/i.exec(cacheControl);
  return match ? Number(match[1]) : undefined;
}
