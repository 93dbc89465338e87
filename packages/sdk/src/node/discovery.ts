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
 * @throws {TypeError} `issuer` is not an absolute URL
 */
export function metadataUrl(issuer: string): string {
  const url = new URL(issuer);
  const path = url.pathname === '/' ? '' : url.pathname.replace(/\/+$/, '');
  return `${url.origin}/.well-known/oauth-authorization-server${path}`;
}

/** Largest metadata document accepted, in bytes (Keymint's is about 1 KB). */
export const MAX_METADATA_BYTES = 64 * 1024;

/**
 * Reads a JSON response body of at most `maxBytes`, refusing a larger one from its
 * Content-Length or, without one, as soon as the stream passes the limit: an oversized document
 * is never held in memory whole.
 */
export async function readJsonBody(response: Response, maxBytes: number, tooLarge: () => Error): Promise<unknown> {
  const declared = Number(response.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > maxBytes) {
    await response.body?.cancel().catch(() => {});
    throw tooLarge();
  }
  if (!response.body) return JSON.parse(await response.text());
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = response.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel().catch(() => {});
      throw tooLarge();
    }
    chunks.push(value);
  }
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
}

/**
 * Fetches the issuer's metadata. RFC 8414 §3.3: the `issuer` in the document must equal the
 * configured issuer exactly, else the document is refused (it could name another issuer's keys).
 * @throws {Error} the metadata is unreachable, not HTTP 200, over its size limit, or names
 *   another issuer. Not a caller mistake: the verifier turns it into {@link KeysUnavailableError}
 *   (503) and the client into {@link TokenRequestError} (`network_error`)
 */
export async function discover(issuer: string, fetchImpl: FetchLike): Promise<IssuerMetadata> {
  const response = await fetchImpl(metadataUrl(issuer), {
    headers: { accept: 'application/json' },
    signal: AbortSignal.timeout(HTTP_TIMEOUT_MS),
  });
  if (!response.ok) throw new Error(`issuer metadata answered HTTP ${response.status}`);
  const metadata = (await readJsonBody(response, MAX_METADATA_BYTES, () => new Error(`issuer metadata is larger than ${MAX_METADATA_BYTES} bytes`))) as IssuerMetadata;
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
