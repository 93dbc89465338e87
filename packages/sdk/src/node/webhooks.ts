import { createHmac, timingSafeEqual } from 'node:crypto';
import { OptionError, WebhookVerificationError } from './errors.js';

/** Seconds a webhook's timestamp may differ from the receiver's clock (Standard Webhooks suggests 5 minutes). */
export const WEBHOOK_TOLERANCE_SECONDS = 300;

/** Headers of a webhook request: a Node `IncomingHttpHeaders`, a Fetch `Headers`, or a plain record. */
export type WebhookHeaders = Headers | Record<string, string | string[] | undefined>;

export interface VerifyWebhookOptions {
  /**
   * The webhook's `whsec_…` secret (shown by `keymint webhook create`), or several during a
   * rotation: the request is accepted when any one of them signed it.
   */
  secret: string | readonly string[];
  headers: WebhookHeaders;
  /** The raw request body, exactly as received (parse it only after verification). */
  body: string | Uint8Array;
  /** Accepted clock difference in seconds (default {@link WEBHOOK_TOLERANCE_SECONDS}). */
  toleranceSeconds?: number;
  /** The current time in epoch milliseconds (default `Date.now`). */
  now?: () => number;
}

/** A verified Keymint event (docs/webhooks.md "Payload"). */
export interface WebhookEvent {
  /** The `webhook-id`: the same on every retry of one event, so use it to drop duplicates. */
  id: string;
  /** Event type, e.g. `app.created`. */
  type: string;
  /** ISO 8601: when the change happened. */
  timestamp: string;
  data: {
    tenant: string;
    actor: string;
    actor_id: string | null;
    target: string | null;
    detail: Record<string, unknown> | null;
  };
}

function header(headers: WebhookHeaders, name: string): string | undefined {
  if (typeof (headers as Headers).get === 'function') return (headers as Headers).get(name) ?? undefined;
  const record = headers as Record<string, string | string[] | undefined>;
  const value = record[name] ?? Object.entries(record).find(([key]) => key.toLowerCase() === name)?.[1];
  return Array.isArray(value) ? value[0] : value;
}

function secretKey(secret: string): Buffer {
  const encoded = secret.startsWith('whsec_') ? secret.slice('whsec_'.length) : secret;
  const key = Buffer.from(encoded, 'base64');
  if (key.length < 16) throw new OptionError('ERR_OPTION_INVALID', 'secret', 'secret must be the whsec_… value Keymint showed (base64 after the prefix)');
  return key;
}

/**
 * Verifies a webhook request per the Standard Webhooks specification
 * (https://www.standardwebhooks.com/, "Verifying webhook authenticity"): `webhook-signature` holds
 * space-separated `v1,<base64 HMAC-SHA256>` signatures of `{webhook-id}.{webhook-timestamp}.{body}`
 * under the secret's bytes; one matching signature is enough (several appear while a secret is
 * being rotated). Comparison is constant-time; the timestamp must be within the tolerance of now,
 * in both directions, which bounds replays (keep the `id`s seen within the window to refuse them all).
 * @returns the parsed event with its `webhook-id`.
 * @throws {WebhookVerificationError} headers missing (`ERR_WEBHOOK_HEADERS_MISSING`), timestamp not
 *   a number of seconds or outside the tolerance (`ERR_WEBHOOK_TIMESTAMP_*`), no matching signature
 *   (`ERR_WEBHOOK_SIGNATURE`), or a signed body that is not a JSON event (`ERR_WEBHOOK_PAYLOAD`).
 * @throws {OptionError} no secret, or one that is not `whsec_` + base64.
 */
export function verifyWebhook(options: VerifyWebhookOptions): WebhookEvent {
  const secrets = typeof options.secret === 'string' ? [options.secret] : [...options.secret];
  if (secrets.length === 0) throw new OptionError('ERR_OPTION_MISSING', 'secret', 'secret is required');
  const keys = secrets.map(secretKey);
  const id = header(options.headers, 'webhook-id');
  const timestampText = header(options.headers, 'webhook-timestamp');
  const signatures = header(options.headers, 'webhook-signature');
  if (!id || !timestampText || !signatures) {
    throw new WebhookVerificationError('ERR_WEBHOOK_HEADERS_MISSING', 'webhook-id, webhook-timestamp and webhook-signature are required');
  }
  if (!/^\d{1,12}$/.test(timestampText)) throw new WebhookVerificationError('ERR_WEBHOOK_TIMESTAMP_INVALID', 'webhook-timestamp must be whole seconds since the epoch');
  const tolerance = options.toleranceSeconds ?? WEBHOOK_TOLERANCE_SECONDS;
  const nowSeconds = Math.floor((options.now ?? Date.now)() / 1000);
  const timestamp = Number(timestampText);
  if (timestamp < nowSeconds - tolerance) throw new WebhookVerificationError('ERR_WEBHOOK_TIMESTAMP_TOO_OLD', 'webhook-timestamp is too old');
  if (timestamp > nowSeconds + tolerance) throw new WebhookVerificationError('ERR_WEBHOOK_TIMESTAMP_TOO_NEW', 'webhook-timestamp is in the future');

  const body = typeof options.body === 'string' ? Buffer.from(options.body, 'utf8') : Buffer.from(options.body);
  const signed = Buffer.concat([Buffer.from(`${id}.${timestampText}.`, 'utf8'), body]);
  const expected = keys.map((key) => createHmac('sha256', key).update(signed).digest());
  let matched = false;
  for (const entry of signatures.split(' ')) {
    const [version, value] = entry.split(',', 2);
    if (version !== 'v1' || !value) continue;
    const presented = Buffer.from(value, 'base64');
    // Every candidate is compared (no early exit), each in constant time.
    for (const digest of expected) if (presented.length === digest.length && timingSafeEqual(presented, digest)) matched = true;
  }
  if (!matched) throw new WebhookVerificationError('ERR_WEBHOOK_SIGNATURE', 'no webhook-signature matches');

  let event: unknown;
  try {
    event = JSON.parse(body.toString('utf8'));
  } catch {
    throw new WebhookVerificationError('ERR_WEBHOOK_PAYLOAD', 'the signed body is not JSON');
  }
  const candidate = event as Partial<WebhookEvent> | null;
  if (!candidate || typeof candidate.type !== 'string' || typeof candidate.timestamp !== 'string' || typeof candidate.data !== 'object') {
    throw new WebhookVerificationError('ERR_WEBHOOK_PAYLOAD', 'the signed body is not a Keymint event');
  }
  return { ...(candidate as Omit<WebhookEvent, 'id'>), id };
}
