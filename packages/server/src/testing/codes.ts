import assert from 'node:assert/strict';
import type { TestServer } from './harness.js';

/**
 * The newest one-time code a development-mode server (no KEYMINT_SMTP_URL) wrote to its log for
 * this normalised address (docs/end-users.md "Passwords and one-time codes").
 */
export function loggedCode(server: TestServer, email: string): string {
  const lines = server.logs().split('\n').filter((line) => line.includes('code written to the log')).map((line) => JSON.parse(line) as { email: string; code: string });
  const mine = lines.filter((line) => line.email === email);
  assert.ok(mine.length > 0, `a code for ${email} was logged`);
  return mine[mine.length - 1]!.code;
}
