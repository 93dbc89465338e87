#!/usr/bin/env node
// Runs every compiled test file (packages/*/dist/**/*.test.js) and bench/*.test.mjs with node's
// test runner: first on SQLite, then the package tests again on PostgreSQL (each server in the
// tests gets a throwaway database). Usage: node scripts/test.mjs [--sqlite-only|--postgres-only] [filter ...]
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync, existsSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const args = process.argv.slice(2);
const sqliteOnly = args.includes('--sqlite-only');
const postgresOnly = args.includes('--postgres-only');
const filters = args.filter((arg) => !arg.startsWith('--'));

function collect(dir, out) {
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (entry === 'node_modules' || entry === 'results') continue;
    if (statSync(path).isDirectory()) collect(path, out);
    else if (entry.endsWith('.test.js') || entry.endsWith('.test.mjs')) out.push(path);
  }
  return out;
}

const packageTests = [];
for (const pkg of readdirSync(join(root, 'packages'))) {
  const dist = join(root, 'packages', pkg, 'dist');
  if (existsSync(dist)) collect(dist, packageTests);
}
const benchTests = collect(join(root, 'bench'), []);
const matches = (file) => filters.length === 0 || filters.some((filter) => file.includes(filter));

function run(label, files, env) {
  const selected = files.filter(matches).sort();
  if (selected.length === 0) return 0;
  console.log(`\n# ${label}: ${selected.length} test files`);
  const result = spawnSync(process.execPath, ['--enable-source-maps', '--test', '--test-concurrency=2', '--test-timeout=400000', ...selected], {
    stdio: 'inherit',
    cwd: root,
    env: { ...process.env, ...env },
  });
  return result.status ?? 1;
}

let failed = 0;
if (!postgresOnly) failed += run('SQLite', [...packageTests, ...benchTests], { KEYMINT_TEST_DATABASE: 'sqlite' });
if (!sqliteOnly) failed += run('PostgreSQL', packageTests, { KEYMINT_TEST_DATABASE: 'postgres' });
process.exit(failed === 0 ? 0 : 1);
