import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request a receiver got: headers as sent, the raw body, when it arrived (epoch ms). */
export interface ReceivedWebhook {
  headers: IncomingMessage['headers'];
  body: string;
  at: number;
}

/**
 * A real HTTP receiver on 127.0.0.1 for webhook tests: records every request, then answers with
 * what `answer` does (default 204). Counts requests being handled at once per `webhook-id`.
 */
export interface WebhookReceiver {
  url: string;
  received: ReceivedWebhook[];
  /** Most requests with one `webhook-id` ever handled at the same time. */
  maxConcurrentPerId(): number;
  close(): Promise<void>;
}

export async function startWebhookReceiver(answer: (request: ReceivedWebhook, index: number, response: ServerResponse) => void | Promise<void> = (_r, _i, response) => {
  response.statusCode = 204;
  response.end();
}): Promise<WebhookReceiver> {
  const received: ReceivedWebhook[] = [];
  const inFlight = new Map<string, number>();
  let maxConcurrent = 0;
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const entry = { headers: request.headers, body: Buffer.concat(chunks).toString('utf8'), at: Date.now() };
      const index = received.push(entry) - 1;
      const id = String(request.headers['webhook-id']);
      inFlight.set(id, (inFlight.get(id) ?? 0) + 1);
      maxConcurrent = Math.max(maxConcurrent, inFlight.get(id)!);
      response.on('close', () => inFlight.set(id, inFlight.get(id)! - 1));
      void Promise.resolve(answer(entry, index, response)).catch(() => response.destroy());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    received,
    maxConcurrentPerId: () => maxConcurrent,
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
