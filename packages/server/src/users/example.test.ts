import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { keymintCli } from '../testing/cli.js';
import { startTestServer } from '../testing/harness.js';

const root = fileURLToPath(new URL('../../../../', import.meta.url));

test('docs/end-users.md "Try it": the CLI prints the app id, the example app runs as documented and serves a browser SDK with no imports', async () => {
  const server = await startTestServer();
  const child = spawn(process.execPath, ['examples/end-users/server.mjs'], { cwd: root, env: { ...process.env, PORT: '0', KEYMINT_APP_ID: '' } });
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  try {
    const doc = readFileSync(`${root}docs/end-users.md`, 'utf8');
    assert.match(doc, /npx keymint users settings --origins http:\/\/127\.0\.0\.1:3000 --json/);
    assert.match(doc, /KEYMINT_APP_ID=app_… node examples\/end-users\/server\.mjs/);
    const settings = await keymintCli(server, 'users', 'settings', '--origins', 'http://127.0.0.1:3000');
    assert.match(settings.app_id, /^app_[a-z0-9]{20}$/);

    // Without KEYMINT_APP_ID it says what to set and exits.
    assert.equal(await exited, 1);

    const example = spawn(process.execPath, ['examples/end-users/server.mjs'], { cwd: root, env: { ...process.env, PORT: '0', KEYMINT_ISSUER: server.issuer, KEYMINT_APP_ID: settings.app_id } });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        example.stdout.on('data', (chunk: Buffer) => {
          const match = /example app on (http:\/\/\S+)/.exec(chunk.toString());
          if (match) resolve(match[1]!);
        });
        example.on('exit', (status) => reject(new Error(`example exited with ${status}`)));
      });
      assert.equal((await fetch(url)).status, 200);
      const sdk = await fetch(`${url}/sdk/keymint-browser.js`);
      assert.equal(sdk.status, 200);
      assert.match(sdk.headers.get('content-type') ?? '', /javascript/);
      const source = await sdk.text();
      assert.doesNotMatch(source, /^\s*import\s/m, 'one self-contained module: no imports, node: or otherwise');
      assert.match(source, /export function createKeymintClient/);
      const me = await fetch(`${url}/api/me`);
      assert.equal(me.status, 401);
      assert.equal(me.headers.get('www-authenticate'), 'Bearer realm="example-app"');
    } finally {
      example.kill();
    }
  } finally {
    child.kill();
    await server.close();
  }
});
