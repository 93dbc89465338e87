import { DiscoveryError, OptionError } from './errors.js';

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
 * @throws {OptionError} `ERR_OPTION_INVALID`: `issuer` is not an absolute URL
 */
export function metadataUrl(issuer: string): string {
  if (typeof issuer !== 'string' || !URL.canParse(issuer)) {
    throw new OptionError('ERR_OPTION_INVALID', 'issuer', `the issuer must be an absolute URL, got ${JSON.stringify(issuer)}`);
  }
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
 * @throws the error `tooLarge` makes; `SyntaxError` when the body is not JSON
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
 * @throws {DiscoveryError} the metadata is unreachable (`ERR_METADATA_UNREACHABLE`), not HTTP 200
 *   (`ERR_METADATA_STATUS`), over its size limit (`ERR_METADATA_TOO_LARGE`), not a JSON object
 *   (`ERR_METADATA_MALFORMED`), or names another issuer (`ERR_METADATA_ISSUER_MISMATCH`). Not a
 *   caller mistake: the verifier turns it into {@link KeysUnavailableError} (503) and the client
 *   into {@link TokenRequestError} (`network_error`)
 * @throws {OptionError} `ERR_OPTION_INVALID`: `issuer` is not an absolute URL
 */
export async function discover(issuer: string, fetchImpl: FetchLike): Promise<IssuerMetadata> {
  const url = metadataUrl(issuer);
  let response: Response;
  try {
    response = await fetchImpl(url, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(HTTP_TIMEOUT_MS) });
  } catch (error) {
    throw new DiscoveryError('ERR_METADATA_UNREACHABLE', `issuer metadata could not be fetched: ${(error as Error).message}`, 0, { cause: error });
  }
  if (!response.ok) {
    await response.body?.cancel().catch(() => {});
    throw new DiscoveryError('ERR_METADATA_STATUS', `issuer metadata answered HTTP ${response.status}`, response.status);
  }
  let metadata: unknown;
  try {
    metadata = await readJsonBody(response, MAX_METADATA_BYTES, () => new DiscoveryError('ERR_METADATA_TOO_LARGE', `issuer metadata is larger than ${MAX_METADATA_BYTES} bytes`, response.status));
  } catch (error) {
    if (error instanceof DiscoveryError) throw error;
    if (error instanceof SyntaxError) throw new DiscoveryError('ERR_METADATA_MALFORMED', 'issuer metadata is not JSON', response.status, { cause: error });
    // The answer broke off (connection reset, timeout) while its body was being read.
    throw new DiscoveryError('ERR_METADATA_UNREACHABLE', `issuer metadata could not be read: ${(error as Error).message}`, response.status, { cause: error });
  }
  if (metadata === null || typeof metadata !== 'object' || Array.isArray(metadata)) {
    throw new DiscoveryError('ERR_METADATA_MALFORMED', 'issuer metadata is not a JSON object', response.status);
  }
  if ((metadata as IssuerMetadata).issuer !== issuer) {
    throw new DiscoveryError('ERR_METADATA_ISSUER_MISMATCH', 'issuer metadata names a different issuer (RFC 8414 §3.3)', response.status);
  }
  return metadata as IssuerMetadata;
}

/** Seconds of `Cache-Control: max-age`, or undefined when the header does not say (`no-store` and `no-cache` say 0). */
export function maxAgeSeconds(cacheControl: string | null): number | undefined {
  if (!cacheControl) return undefined;
  if (/(?:^|,)\s*no-(?:store|cache)\b/i.test(cacheControl)) return 0;
  const match = /(?:^|,)\s*max-age\s*=\s*"?(\d+)"?/i.exec(cacheControl);
  return match ? Number(match[1]) : undefined;
}
