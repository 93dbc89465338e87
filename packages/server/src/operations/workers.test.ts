import { test } from 'node:test';
import assert from 'node:assert/strict';
import { basic, postForm } from '../testing/harness.js';
import { spawnServe } from '../testing/serve-process.js';

function workerPids(output: string): number[] {
  return [...output.matchAll(/\[worker (\d+)\] Keymint is listening/g)].map((m) => Number(m[1]));
}

async function waitFor(what: string, check: () => boolean | Promise<boolean>, limitMs = 20_000): Promise<void> {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > limitMs) assert.fail(`${what}: not within ${limitMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

test('serve --workers 2: two processes share the port, a killed worker is replaced, SIGTERM to the primary drains all', async () => {
  const server = await spawnServe(['--workers', '2']);
  try {
    await waitFor('two workers listening', () => workerPids(server.output()).length >= 2);
    const created = await server.cli('app', 'create', '--name', 'workers', '--scopes', 'contacts_read');
    const token = () => postForm(`${server.issuer}/oauth/token`, { grant_type: 'client_credentials' }, { authorization: basic(created.client_id, created.client_secret) });
    assert.equal((await token()).status, 200);

    const [victim] = workerPids(server.output());
    process.kill(victim!, 'SIGKILL');
    await waitFor('a replacement worker', () => workerPids(server.output()).length >= 3);
    assert.match(server.output(), /worker died; starting a replacement/);
    // The port keeps serving throughout: every request answered by one of the live workers.
    for (let i = 0; i < 20; i++) assert.equal((await token()).status, 200);
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    // One aggregate per server; the per-worker gauge names each live worker.
    assert.match(metrics, /keymint_worker_resident_memory_bytes\{worker="\d+"\}/);

    server.child.kill('SIGTERM');
    assert.equal(await server.exited, 0);
    assert.match(server.output(), /all workers drained; primary exiting/);
    // No worker outlives the primary.
    for (const pid of workerPids(server.output())) {
      assert.throws(() => process.kill(pid, 0), /ESRCH/, `worker ${pid} is gone`);
    }
  } finally {
    await server.cleanup();
  }
});

test('one /metrics per server under serve --workers 2: after 40 tokens every scrape reads 40, whichever worker answers', { timeout: 120_000 }, async () => {
  const server = await spawnServe(['--workers', '2']);
  try {
    await waitFor('two workers listening', () => workerPids(server.output()).length >= 2);
    const created = await server.cli('app', 'create', '--name', 'metrics', '--scopes', 'contacts_read');
    // Concurrent, on fresh connections, so both workers issue some of them.
    const issued = await Promise.all(Array.from({ length: 40 }, () =>
      fetch(`${server.issuer}/oauth/token`, {
        method: 'POST',
        headers: { authorization: basic(created.client_id, created.client_secret), 'content-type': 'application/x-www-form-urlencoded', connection: 'close' },
        body: 'grant_type=client_credentials',
      }).then(async (r) => (await r.arrayBuffer(), r.status)),
    ));
    assert.deepEqual(issued.filter((s) => s !== 200), []);
    const series = new RegExp(`keymint_tokens_issued_total\\{tenant="default",client_id="${created.client_id}",result="issued"\\} (\\d+)`);
    const workersSeen = new Set<string>();
    for (let i = 0; i < 10; i++) {
      const text = await (await fetch(`${server.url}/metrics`, { headers: { connection: 'close' } })).text();
      assert.equal(series.exec(text)?.[1], '40', `scrape ${i}: ${text.split('\n').filter((l) => l.startsWith('keymint_tokens_issued_total')).join(' | ')}`);
      for (const [, pid] of text.matchAll(/keymint_worker_resident_memory_bytes\{worker="(\d+)"\}/g)) workersSeen.add(pid!);
    }
    assert.equal(workersSeen.size, 2, 'each worker has its own per-worker gauge');
  } finally {
    await server.cleanup();
  }
});
