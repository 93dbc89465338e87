import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runDoc } from '../testing/docs.js';
import { startTestServer } from '../testing/harness.js';

test('docs/config-as-code.md: export, dry run, apply and a second apply run as written and print what the doc shows', { timeout: 120_000 }, async () => {
  const server = await startTestServer();
  try {
    const { stdout, output } = await runDoc('docs/config-as-code.md', server);
    assert.match(stdout, /^# API tokens, client secrets and signing keys are credentials/m, output);
    assert.match(stdout, /^ {4}name: Default$/m, output);
    assert.match(stdout, /^\+ create tenant acme\n~ update settings acme: default_token_lifetime 7200 → 900\n~ update end-user settings acme: allowed_origins \[\] → \["https:\/\/app\.acme\.example"\]\n\+ create scope acme\/reports_read\n\+ create app acme\/acme-reporting\n\nDry run: 5 change\(s\) planned, nothing changed\.$/m, output);
    assert.match(stdout, /^900$/m, output);
    assert.match(stdout, /^\{"changes":0,"applied":true,"plan":\[\],"secrets":\[\],"new_secret_required":\[\],"webhook_secrets":\[\]\}$/m, output);
  } finally {
    await server.close();
  }
});
