import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const bin = fileURLToPath(new URL('../bin/keymint.js', import.meta.url));

function keymint(dataDir: string, ...args: string[]) {
  const result = spawnSync(process.execPath, [bin, ...args], { cwd: dataDir, env: { PATH: process.env.PATH, KEYMINT_DATA_DIR: dataDir }, encoding: 'utf8' });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

test('issue 17 item 8: user mistakes are one line naming the mistake, exit 1, never "unexpected failure"', () => {
  const dir = mkdtempSync(join(tmpdir(), 'keymint-mistakes-'));
  // Refused inside the command (not by commander's parser): before issue 17 this exited 1 in silence.
  const workers = keymint(dir, 'serve', '--workers', '0');
  assert.equal(workers.status, 1);
  assert.equal(workers.stdout, '');
  assert.equal(workers.stderr, 'keymint: --workers: expected 1 to 64 (see keymint --help)\n');

  const cases = [
    ['users', 'settings', '--mode', 'nonsense'],
    ['users', 'settings', '--signup', 'maybe'],
    ['app', 'show', 'nosuchapp'],
    ['--tenant', 'nope', 'app', 'list'],
    ['app', 'secret', 'add', 'nosuchapp', '--expires-in', 'soon'],
  ];
  for (const args of cases) {
    const result = keymint(dir, ...args, '--json');
    assert.equal(result.status, 1, args.join(' '));
    assert.equal(result.stdout, '', args.join(' '));
    assert.match(result.stderr, /^keymint: .+\n$/, args.join(' '));
    assert.doesNotMatch(result.stderr, /unexpected failure/, args.join(' '));
  }
  assert.match(keymint(dir, 'users', 'settings', '--mode', 'nonsense').stderr, /bearer, cookie/, 'the allowed values are named');
});
