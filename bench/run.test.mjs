// The benchmark harness runs end to end on a tiny load (timings are never asserted here).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

test('npm run bench harness: starts both servers, loads each, prints the side-by-side table', async () => {
  const { stdout } = await promisify(execFile)(process.execPath, [new URL('./run.mjs', import.meta.url).pathname, '--duration', '1', '--warmup', '0', '--connections', '2', '--no-write'], { timeout: 120_000 });
  assert.match(stdout, /^workload +Keymint req\/s/m);
  const row = /^client credentials → ES256 JWT +(\d+) +\d+ +\d+ +(\d+) +(\d+) .*×/m.exec(stdout);
  assert.ok(row, stdout);
  assert.ok(Number(row[1]) > 0, 'Keymint served requests');
  assert.equal(row[2], '0', 'no Keymint request failed');
  assert.ok(Number(row[3]) > 0, 'the peer served requests');
  // The refresh load is a closed loop over rotating tokens: a token spent twice or a sign-up refused shows here.
  const refresh = /^end-user refresh \(rotating kmr_\) +(\d+) +\d+ +\d+ +(\d+) /m.exec(stdout);
  assert.ok(refresh, stdout);
  assert.ok(Number(refresh[1]) > 0, 'end users refreshed');
  assert.equal(refresh[2], '0', 'no refresh failed');
  assert.match(stdout, /Ready on an existing database: \d+ ms/);
});
