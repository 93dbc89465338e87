import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runDoc } from '../testing/docs.js';
import { startTestServer } from '../testing/harness.js';

test('docs/contacts-api.md: every operation runs as written, top to bottom, against a server (issuer line changed)', async () => {
  const server = await startTestServer();
  try {
    const { stdout, output } = await runDoc('docs/contacts-api.md', server);
    const lines = stdout.split('\n');
    const json = (pattern: RegExp) => lines.filter((line) => pattern.test(line)).map((line) => JSON.parse(line) as Record<string, unknown>);

    const [created] = json(/^\{"id":"ct_.*"email":"ada@example.com"/);
    assert.ok(created, output);
    assert.equal(created.status, 'subscribed');
    assert.deepEqual(created.tags, ['vip']);

    const pages = json(/^\{"data":/) as { data: { email: string }[]; next_cursor: string | null }[];
    assert.equal(pages.length, 3, output);
    assert.deepEqual(pages[0]!.data.map((c) => c.email), ['ada@example.com'], 'status=subscribed&q=ada');
    assert.deepEqual(pages[1]!.data.map((c) => c.email), ['ada@example.com', 'grace@example.com']);
    assert.ok(pages[1]!.next_cursor);
    assert.deepEqual(pages[2]!.data.map((c) => c.email), ['alan@example.com']);
    assert.equal(pages[2]!.next_cursor, null);

    const states = json(/^\{"id":"ct_/).slice(1);
    assert.deepEqual(states.map((c) => [c.name, c.phone, c.status]), [
      ['Ada Lovelace', '+44 20 7946 0000', 'subscribed'], // get
      ['Ada King', null, 'subscribed'], // update
      ['Ada King', null, 'unsubscribed'],
      ['Ada King', null, 'subscribed'], // resubscribe
    ], output);
    assert.match(stdout, /^204$/m, 'delete');

    assert.match(stdout, /^HTTP\/1\.1 403 Forbidden/m);
    assert.match(stdout, /^www-authenticate: Bearer .*error="insufficient_scope".*scope="contacts_write"/m);
    const errors = json(/^\{"error/).map(({ error, error_description }) => [error, error_description]);
    assert.deepEqual(errors, [
      ['insufficient_scope', 'this request needs the contacts_write scope'],
      ['invalid_request', 'querystring.limit must be a whole number from 1 to 100 (page size, default 20)'],
      ['invalid_request', 'querystring has no parameter "sort" (allowed: email, status, q, limit, cursor)'],
      ['not_found', 'no such contact'],
    ], output);
  } finally {
    await server.close();
  }
});
