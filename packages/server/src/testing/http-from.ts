import { request as httpRequest } from 'node:http';

export interface SentFrom {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: any;
}

/**
 * A POST sent from a chosen loopback address (127.0.0.1, 127.0.0.2, … are all this host's),
 * so a test can speak as several clients: budgets per address, lock-out by strangers.
 */
export function postFrom(localAddress: string, url: string, body: string, headers: Record<string, string>): Promise<SentFrom> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(url, { method: 'POST', localAddress, agent: false, headers: { 'content-length': Buffer.byteLength(body), ...headers } }, (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (text += chunk));
      response.on('end', () => resolve({ status: response.statusCode!, headers: response.headers, body: text ? JSON.parse(text) : undefined }));
    });
    request.on('error', reject);
    request.end(body);
  });
}

/** JSON POST from `localAddress`; `origin` is sent as a browser would (admin API, cookie mode). */
export function postJsonFrom(localAddress: string, url: string, body: unknown, headers: Record<string, string> = {}): Promise<SentFrom> {
  return postFrom(localAddress, url, JSON.stringify(body), { 'content-type': 'application/json', ...headers });
}

/** Statuses counted: `{ 401: 20, 429: 40 }`. */
export function tally(answers: readonly { status: number }[]): Record<number, number> {
  const out: Record<number, number> = {};
  for (const { status } of answers) out[status] = (out[status] ?? 0) + 1;
  return out;
}
