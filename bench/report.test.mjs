// Rendering of the results (report.mjs) without running a load: the table and the docs section.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { root } from './lib.mjs';
import { replaceResults, resultsMarkdown } from './report.mjs';

const figures = (requestsPerSecond) => ({ requestsPerSecond, p50: 1, p99: 4, errors: 0, non2xx: 0 });
const data = {
  startedAt: '2026-01-01T00:00:00.000Z',
  machine: { cpus: 2, cpuModel: 'test cpu', memoryGb: 4, node: 'v20.0.0' },
  settings: { duration: 10, connections: 50, db: 'sqlite' },
  workloads: [
    { name: 'client_credentials_jwt', title: 'client credentials → ES256 JWT', keymint: figures(3000), peer: figures(1000), ratio: 3 },
    { name: 'contacts_jwt', title: 'GET /api/v1/contacts with a JWT', keymint: figures(5000), peer: null, ratio: null },
  ],
  memory: { keymintRssMb: 90, peerRssMb: 80 },
  startup: { readyOnExistingDatabaseMs: 400 },
};

test('resultsMarkdown: one table row per workload, — where the peer has no equivalent, the ratio with ×', () => {
  const markdown = resultsMarkdown(data);
  assert.match(markdown, /^Run 2026-01-01T00:00:00.000Z on 2 × test cpu, 4 GiB, Node v20.0.0; 50 connections, 10 s per load/);
  assert.match(markdown, /^\| client credentials → ES256 JWT \| 3000 \| 1 \| 4 \| 0 \| 1000 \| 1 \| 4 \| 0 \| 3× \|$/m);
  assert.match(markdown, /^\| GET \/api\/v1\/contacts with a JWT \| 5000 \| 1 \| 4 \| 0 \| — \| — \| — \| — \| — \|$/m);
  assert.match(markdown, /Ready on an existing database: 400 ms /);
});

test('replaceResults: only what stands between the markers changes; docs/benchmarks.md has them', () => {
  const text = 'intro\n<!-- bench:results:start -->\nold\n<!-- bench:results:end -->\noutro\n';
  assert.equal(replaceResults(text, 'new'), 'intro\n<!-- bench:results:start -->\nnew\n<!-- bench:results:end -->\noutro\n');
  const page = readFileSync(join(root, 'docs/benchmarks.md'), 'utf8');
  assert.equal(page.match(/<!-- bench:results:(start|end) -->/g)?.join(' '), '<!-- bench:results:start --> <!-- bench:results:end -->');
});
