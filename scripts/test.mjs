#!/usr/bin/env node
// Runs every compiled test file (packages/*/dist/**/*.test.js) and bench/*.test.mjs with node's test runner.
// Usage: node scripts/test.mjs [substring-filter ...]
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync, existsSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const filters = process.argv.slice(2);

function collect(dir, out) {
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (entry === 'node_modules') continue;
    if (statSync(path).isDirectory()) collect(path, out);
    else if (entry.endsWith('.test.js') || entry.endsWith('.test.mjs')) out.push(path);
  }
  return out;
}

const files = [];
for (const pkg of readdirSync(join(root, 'packages'))) {
  const dist = join(root, 'packages', pkg, 'dist');
  if (existsSync(dist)) collect(dist, files);
}
collect(join(root, 'bench'), files);
const selected = files.filter((file) => filters.length === 0 || filters.some((filter) => file.includes(filter))).sort();
if (selected.length === 0) {
  console.error('no test files matched');
  process.exit(1);
}
const result = spawnSync(process.execPath, ['--enable-source-maps', '--test', '--test-concurrency=2', '--test-timeout=120000', ...selected], {
  stdio: 'inherit',
  cwd: root,
});
process.exit(result.status ?? 1);
