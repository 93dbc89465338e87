import { createServer } from 'node:http';
import { verifyWebhook, WebhookVerificationError } from '@keymint/sdk/node';

// The webhook's secret, as `keymint webhook create` printed it (whsec_…). During a rotation,
// pass both: verifyWebhook({ secret: [newSecret, oldSecret], … }).
const secret = process.env.WEBHOOK_SECRET;
// webhook-ids already handled: a retry carries the same id, so at-least-once becomes once here.
// (Keep them somewhere durable in production, for longer than the retry period.)
const seen = new Set();

const server = createServer((request, response) => {
  const chunks = [];
  request.on('data', (chunk) => chunks.push(chunk));
  request.on('end', () => {
    let event;
    try {
      // Verify the raw body before parsing it; the timestamp must be within 5 minutes.
      event = verifyWebhook({ secret, headers: request.headers, body: Buffer.concat(chunks) });
    } catch (error) {
      if (!(error instanceof WebhookVerificationError)) throw error;
      response.writeHead(400).end();
      console.error(`refused: ${error.code}`);
      return;
    }
    response.writeHead(204).end();
    if (seen.has(event.id)) return;
    seen.add(event.id);
    console.log(`verified ${event.type} ${event.data.target}`);
    if (process.env.EXIT_AFTER_FIRST_EVENT) server.close(() => process.exit(0));
  });
});

server.listen(Number(process.env.RECEIVER_PORT ?? 8090), '127.0.0.1', () => {
  console.log(`webhook receiver listening on http://127.0.0.1:${server.address().port}`);
});
// A trial run gives up after a minute rather than waiting forever.
if (process.env.EXIT_AFTER_FIRST_EVENT) setTimeout(() => process.exit(1), 60_000).unref();
