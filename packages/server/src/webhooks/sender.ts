import { lookup as dnsLookup } from 'node:dns/promises';
import http from 'node:http';
import https from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { InvalidRequest } from '../errors.js';
import { hostOf, isPrivateAddress, type UrlPolicy } from './address-policy.js';

export interface ResolvedTarget {
  address: string;
  family: 4 | 6;
}

/** Resolves host names to addresses (node:dns by default; tests pass their own to simulate rebinding). */
export type Resolver = (host: string) => Promise<ResolvedTarget[]>;

export const systemResolver: Resolver = async (host) =>
  (await dnsLookup(host, { all: true, verbatim: true })).map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 }));

/**
 * The address a delivery connects to: the URL's literal IP, or the first address its host
 * resolves to now. Without the private-network opt-in, every resolved address must be public.
 * @throws {InvalidRequest} the host does not resolve, or resolves to a refused address.
 */
export async function resolveTarget(url: URL, policy: UrlPolicy, resolve: Resolver): Promise<ResolvedTarget> {
  const host = hostOf(url);
  let addresses: ResolvedTarget[];
  if (isIP(host)) addresses = [{ address: host, family: isIP(host) === 6 ? 6 : 4 }];
  else {
    try {
      addresses = await resolve(host);
    } catch {
      addresses = [];
    }
  }
  if (addresses.length === 0) throw new InvalidRequest(`url host ${host} does not resolve`);
  if (!policy.allowPrivateNetworks) {
    const refused = addresses.find((a) => isPrivateAddress(a.address));
    if (refused) throw new InvalidRequest(`url host ${host} resolves to a private or reserved address (${refused.address}); set KEYMINT_WEBHOOK_ALLOW_PRIVATE_NETWORKS=true to allow it`);
  }
  return addresses[0]!;
}

export interface SendLimits {
  /** Until the TCP (and TLS) connection is up. */
  connectTimeoutMs: number;
  /** The whole attempt, response read included. */
  totalTimeoutMs: number;
  /** Response bytes read at most; the rest is dropped with the connection. */
  maxResponseBytes: number;
}

export interface SendOutcome {
  /** A 2xx answer. */
  ok: boolean;
  status: number | null;
  error: string | null;
  durationMs: number;
}

/**
 * One POST to `url`, connecting only to `target` (the checked address: a second DNS answer
 * cannot move the connection elsewhere), never following a redirect (a 3xx is a failure),
 * within the limits. Never throws: the outcome says what happened.
 */
export function send(url: URL, target: ResolvedTarget, headers: Record<string, string>, body: string, limits: SendLimits): Promise<SendOutcome> {
  const started = performance.now();
  const pinned: LookupFunction = (_host, options, callback) => {
    if (options.all) (callback as (error: null, addresses: ResolvedTarget[]) => void)(null, [target]);
    else callback(null, target.address, target.family);
  };
  return new Promise((resolve) => {
    let settled = false;
    const finish = (outcome: Omit<SendOutcome, 'durationMs'>) => {
      if (settled) return;
      settled = true;
      clearTimeout(total);
      clearTimeout(connect);
      resolve({ ...outcome, durationMs: Math.round(performance.now() - started) });
      request.destroy();
    };
    const client = url.protocol === 'https:' ? https : http;
    const request = client.request(url, {
      method: 'POST',
      agent: false,
      lookup: pinned,
      headers: { ...headers, 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), 'user-agent': 'Keymint-Webhooks/1' },
    });
    const total = setTimeout(() => finish({ ok: false, status: null, error: `timed out after ${limits.totalTimeoutMs} ms` }), limits.totalTimeoutMs);
    const connect = setTimeout(() => finish({ ok: false, status: null, error: `connect timed out after ${limits.connectTimeoutMs} ms` }), limits.connectTimeoutMs);
    request.on('socket', (socket) => socket.once(url.protocol === 'https:' ? 'secureConnect' : 'connect', () => clearTimeout(connect)));
    request.on('error', (error) => finish({ ok: false, status: null, error: error.message }));
    request.on('response', (response) => {
      const status = response.statusCode ?? 0;
      let read = 0;
      const done = () => {
        if (status >= 200 && status < 300) finish({ ok: true, status, error: null });
        else if (status >= 300 && status < 400) finish({ ok: false, status, error: `HTTP ${status}: redirects are not followed` });
        else finish({ ok: false, status, error: `HTTP ${status}` });
      };
      response.on('data', (chunk: Buffer) => {
        read += chunk.length;
        if (read >= limits.maxResponseBytes) done();
      });
      response.on('end', done);
      response.on('error', done);
    });
    request.end(body);
  });
}
