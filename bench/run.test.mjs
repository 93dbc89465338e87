// The benchmark harness runs end to end on a tiny load (timings are never asserted here): every
// section of the default run, the PostgreSQL rows on a throwaway database and a short mixed long run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

test('npm run bench harness: starts both servers, loads each, prints the side-by-side table and the goals', async () => {
  const { stdout } = await promisify(execFile)(process.execPath, [new URL('./run.mjs', import.meta.url).pathname, '--duration', '1', '--warmup', '0', '--connections', '2', '--long', '400', '--no-write'], { timeout: 360_000 });
  assert.match(stdout, /^workload +Keymint req\/s/m);
  const row = /^client credentials → ES256 JWT +(\d+) +\d+ +\d+ +(\d+) +(\d+) .*×/m.exec(stdout);
  assert.ok(row, stdout);
  assert.ok(Number(row[1]) > 0, 'Keymint served requests');
  assert.equal(row[2], '0', 'no Keymint request failed');
  assert.ok(Number(row[3]) > 0, 'the peer served requests');
  // The second generator: Keymint and the least favourable peer setup again, nothing failed.
  const closed = /^client credentials → ES256 JWT, closed loop +(\d+) +[\d.]+ +[\d.]+ +(\d+) +(\d+) +[\d.]+ +[\d.]+ +(\d+) /m.exec(stdout);
  assert.ok(closed, stdout);
  assert.ok(Number(closed[1]) > 0 && Number(closed[3]) > 0, 'both servers answered the closed loop');
  assert.deepEqual([closed[2], closed[4]], ['0', '0'], 'no closed-loop request failed');
  // Every documented peer JWT setup measured, one of them the base.
  for (const variant of ['es256', 'eddsa', 'rs256', 'hs256']) assert.match(stdout, new RegExp(`^${variant}: .* +[1-9]\\d* +\\d+ +\\d+ +0 +[\\d.]+×`, 'm'));
  assert.equal(stdout.match(/least favourable: the base/g)?.length, 1);
  // The refresh load is a closed loop over rotating tokens: a token spent twice or a sign-up refused shows here.
  const refresh = /^end-user refresh \(rotating kmr_\) +(\d+) +\d+ +\d+ +(\d+) /m.exec(stdout);
  assert.ok(refresh, stdout);
  assert.ok(Number(refresh[1]) > 0, 'end users refreshed');
  assert.equal(refresh[2], '0', 'no refresh failed');
  // PostgreSQL rows, each between two loads of its path on SQLite (the throwaway database is dropped by the run).
  for (const title of ['client credentials → ES256 JWT', 'client credentials → opaque token', 'introspection of an opaque token', 'end-user refresh \\(rotating kmr_\\)']) {
    assert.match(stdout, new RegExp(`^${title} +[1-9]\\d* +\\d+ +\\d+ +0 +[1-9]\\d* +[\\d.]+× +(cached|writes)`, 'm'), `PostgreSQL row ${title}`);
  }
  assert.match(stdout, /^`serve --workers 2`: \d+ JWT tokens\/s/m);
  assert.match(stdout, /^Pinned \(server on core 0, closed-loop generator on core 1\): one process [1-9]\d*\/s .*`--workers 2` on the same core [1-9]\d*\/s/m);
  assert.match(stdout, /^Long run: 400 mixed requests .* 0 failures, RSS \d+–\d+ MB/m);
  assert.match(stdout, /Ready on an existing database: \d+ ms/);
  assert.match(stdout, /^goal +figure +met/m);
  assert.match(stdout, /^RSS flat .* +not measured/m, 'a 400-request long run is not the 1M goal');
  assert.match(stdout, /^all goals met in this run: (yes|no)$/m);
});
