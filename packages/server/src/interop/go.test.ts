import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { startTestServer } from '../testing/harness.js';
import { DEBIAN_GOPATH, goHasOauth2, INSTALL, interopApps, interopSource, keymintSees, requireTool, runJson } from './tools.js';

/**
 * Issue 15 item 7: Go's golang.org/x/oauth2/clientcredentials, built offline from Debian's source
 * package (GOPATH mode, no module proxy) into a temporary folder.
 */
test('Go x/oauth2/clientcredentials: RFC 8414 discovery, RFC 6749 §4.4 AuthStyleInHeader (Basic) and AuthStyleInParams (post); the library\'s client calls the Contacts API; a wrong secret is a 401', async (t) => {
  if (!requireTool(t, 'Go with golang.org/x/oauth2', goHasOauth2(), INSTALL.go)) return;
  const dir = mkdtempSync(join(tmpdir(), 'keymint-interop-go-'));
  const server = await startTestServer();
  try {
    const binary = join(dir, 'clientcredentials');
    await goBuild(binary, dir);
    const { jwt, introspector } = await interopApps(server);
    const out = await runJson(binary, [JSON.stringify({ issuer: server.issuer, client_id: jwt.clientId, client_secret: jwt.clientSecret })]);
    assert.equal(out.issuer, server.issuer);
    for (const method of ['client_secret_basic', 'client_secret_post']) {
      assert.equal(out[method].error, undefined, `${method}: ${out[method].error}`);
      assert.equal(out[method].token_type, 'Bearer', method);
      assert.equal(out[method].scope, 'contacts_read', method);
      assert.equal(out[method].api_status, 200, method);
      const seen = await keymintSees(server, introspector, out[method].access_token);
      assert.equal(seen.active, true, method);
      assert.equal(seen.client_id, jwt.clientId, method);
    }
    assert.equal(out.wrong_secret_status, 401);
  } finally {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

/** `go build` offline: GOPATH mode over Debian's sources, no modules, no proxy. */
function goBuild(binary: string, dir: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    execFile('go', ['build', '-o', binary, interopSource('go/clientcredentials.go')], {
      cwd: dir,
      // A build cache of its own: CI may run without HOME, and it survives between runs in tmp.
      env: { ...process.env, GOPATH: DEBIAN_GOPATH, GO111MODULE: 'off', GOFLAGS: '', GOPROXY: 'off', GOTOOLCHAIN: 'local', GOCACHE: join(tmpdir(), 'keymint-interop-gocache') },
      timeout: 300_000,
    }, (error, _stdout, stderr) => (error ? reject(new Error(`go build failed: ${stderr}`)) : resolve()));
  });
}
