import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { basic, postForm, startTestServer, type TestServer } from '../testing/harness.js';

const root = new URL('../../../../', import.meta.url);
const DOC = 'docs/protecting-your-api.md';

/** Every `<!-- example: PATH -->` followed by a fenced code block in the doc. */
function examplesIn(markdown: string): { path: string; code: string }[] {
  const pattern = /<!-- example: (\S+) -->\n```[a-z]*\n([\s\S]*?)```/g;
  return [...markdown.matchAll(pattern)].map((match) => ({ path: match[1]!, code: match[2]! }));
}

/** Runs an example with node from the repository root; resolves with its listening URL. */
function startExample(path: string, env: Record<string, string>, children: ChildProcess[]): Promise<string> {
  const child = spawn(process.execPath, [path], { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  return new Promise((resolve, reject) => {
    let output = '';
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening on (http:\/\/\S+)/.exec(output);
      if (match) resolve(match[1]!);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', (code) => reject(new Error(`${path} exited with ${code}: ${output}`)));
  });
}

function runToEnd(path: string, env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, [path], { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, output })));
}

describe(`${DOC}: the examples are real files and run as written`, () => {
  let server: TestServer;
  const children: ChildProcess[] = [];
  let reader: { clientId: string; clientSecret: string };
  let readToken: string;
  let writeToken: string;

  before(async () => {
    server = await startTestServer();
    reader = await server.createApp({ scopes: ['contacts_read'] });
    const writer = await server.createApp({ scopes: ['contacts_read', 'contacts_write'] });
    const token = async (app: { clientId: string; clientSecret: string }, scope: string) =>
      (await postForm(`${server.issuer}/oauth/token`, { grant_type: 'client_credentials', scope }, { authorization: basic(app.clientId, app.clientSecret) })).body.access_token as string;
    readToken = await token(reader, 'contacts_read');
    writeToken = await token(writer, 'contacts_read contacts_write');
  });
  after(async () => {
    for (const child of children) child.kill();
    await server.close();
  });

  test('every code block marked with an example file equals that file', () => {
    const examples = examplesIn(readFileSync(new URL(DOC, root), 'utf8'));
    assert.deepEqual(examples.map((e) => e.path).sort(), ['examples/call-api.mjs', 'examples/protect-express.mjs', 'examples/protect-fastify.mjs']);
    for (const { path, code } of examples) assert.equal(code, readFileSync(new URL(path, root), 'utf8'), `${DOC} shows ${path} as it is`);
  });

  test('examples/call-api.mjs without its environment names the variables to set, without a stack trace', async () => {
    const { code, output } = await runToEnd('examples/call-api.mjs', { KEYMINT_CLIENT_ID: '', KEYMINT_CLIENT_SECRET: '' });
    assert.equal(code, 1, output);
    assert.match(output, /set KEYMINT_CLIENT_ID and KEYMINT_CLIENT_SECRET/);
    assert.doesNotMatch(output, /^\s+at /m, 'no stack trace');
  });

  for (const example of ['examples/protect-fastify.mjs', 'examples/protect-express.mjs']) {
    test(`${example}: real tokens pass, and failures are RFC 6750 401/403 with challenges`, async () => {
      const api = await startExample(example, { KEYMINT_ISSUER: server.issuer, PORT: '0' }, children);
      const get = (token?: string, method = 'GET') => fetch(`${api}/reports`, { method, headers: token ? { authorization: `Bearer ${token}` } : {} });

      const ok = await get(readToken);
      assert.equal(ok.status, 200);
      assert.deepEqual(await ok.json(), { client: reader.clientId, scope: 'contacts_read' });

      const none = await get();
      assert.equal(none.status, 401);
      assert.equal(none.headers.get('www-authenticate'), 'Bearer realm="api"');

      const forged = await get(`${readToken.slice(0, -4)}AAAA`);
      assert.equal(forged.status, 401);
      assert.match(forged.headers.get('www-authenticate') ?? '', /error="invalid_token"/);

      const readOnlyWrite = await get(readToken, 'POST');
      assert.equal(readOnlyWrite.status, 403);
      assert.match(readOnlyWrite.headers.get('www-authenticate') ?? '', /error="insufficient_scope".*scope="contacts_write"/);
      assert.equal(((await readOnlyWrite.json()) as { error: string }).error, 'insufficient_scope');

      assert.equal((await get(writeToken, 'POST')).status, 201);

      if (example.includes('fastify')) {
        const { code, output } = await runToEnd('examples/call-api.mjs', {
          KEYMINT_ISSUER: server.issuer,
          KEYMINT_CLIENT_ID: reader.clientId,
          KEYMINT_CLIENT_SECRET: reader.clientSecret,
          API_URL: api,
        });
        assert.equal(code, 0, output);
        assert.match(output, /^200 /);
        assert.ok(output.includes(reader.clientId));
      }
    });
  }
});
