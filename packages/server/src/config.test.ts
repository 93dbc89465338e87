import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from './config.js';

const cwd = mkdtempSync(join(tmpdir(), 'keymint-config-'));

function configError(env: Record<string, string>, flags = {}): ConfigError {
  try {
    loadConfig({ env, cwd: mkdtempSync(join(tmpdir(), 'keymint-config-')), flags });
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected ConfigError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected the configuration to be refused');
}

test('defaults follow DESIGN: 127.0.0.1:8080, SQLite in ./data, master key file', () => {
  const config = loadConfig({ env: {}, cwd });
  assert.equal(config.host, '127.0.0.1');
  assert.equal(config.port, 8080);
  assert.equal(config.publicUrl, null);
  assert.deepEqual(config.database, { kind: 'sqlite', path: join(cwd, 'data', 'keymint.db'), url: `sqlite:${join(cwd, 'data', 'keymint.db')}` });
  assert.equal(config.masterKeyFile, join(cwd, 'data', 'master.key'));
  assert.equal(config.masterKey, null);
  assert.ok(Object.isFrozen(config));
});

test('each bad value stops start-up with a message naming the setting', () => {
  const cases: [Record<string, string>, string][] = [
    [{ KEYMINT_DATABASE_URL: 'mysql://localhost/x' }, 'KEYMINT_DATABASE_URL'],
    [{ KEYMINT_DATABASE_URL: 'sqlite:' }, 'KEYMINT_DATABASE_URL'],
    [{ KEYMINT_DATABASE_URL: 'postgres://u:p@[bad' }, 'KEYMINT_DATABASE_URL'],
    [{ PORT: 'eighty' }, 'PORT'],
    [{ PORT: '70000' }, 'PORT'],
    [{ KEYMINT_PUBLIC_URL: 'not a url' }, 'KEYMINT_PUBLIC_URL'],
    [{ KEYMINT_PUBLIC_URL: 'ftp://example.com' }, 'KEYMINT_PUBLIC_URL'],
    [{ KEYMINT_PUBLIC_URL: 'https://example.com/?q=1' }, 'KEYMINT_PUBLIC_URL'],
    [{ KEYMINT_MASTER_KEY: 'too-short' }, 'KEYMINT_MASTER_KEY'],
    [{ KEYMINT_REDIS_URL: 'localhost:6379' }, 'KEYMINT_REDIS_URL'],
    [{ KEYMINT_LOG_LEVEL: 'loud' }, 'KEYMINT_LOG_LEVEL'],
    [{ KEYMINT_DPOP_NONCE: 'yes' }, 'KEYMINT_DPOP_NONCE'],
  ];
  for (const [env, setting] of cases) {
    const error = configError(env);
    assert.equal(error.setting, setting);
    assert.match(error.message, new RegExp(`^${setting}: expected `));
  }
});

test('a database password never appears in a configuration error', () => {
  const error = configError({ KEYMINT_DATABASE_URL: 'mysql://admin:hunter2@db/x' });
  assert.doesNotMatch(error.message, /hunter2/);
});

test('the master key must be exactly 32 bytes of base64url', () => {
  assert.equal(configError({ KEYMINT_MASTER_KEY: Buffer.alloc(31).toString('base64url') }).setting, 'KEYMINT_MASTER_KEY');
  const key = Buffer.alloc(32, 7).toString('base64url');
  assert.deepEqual(loadConfig({ env: { KEYMINT_MASTER_KEY: key }, cwd }).masterKey, Buffer.alloc(32, 7));
});

test('.env is read; the environment wins over it; flags win over both', () => {
  const dir = mkdtempSync(join(tmpdir(), 'keymint-dotenv-'));
  writeFileSync(join(dir, '.env'), 'PORT=9000\nHOST=0.0.0.0\nKEYMINT_PUBLIC_URL=https://auth.example.com/\n');
  const fromFile = loadConfig({ env: {}, cwd: dir });
  assert.equal(fromFile.port, 9000);
  assert.equal(fromFile.host, '0.0.0.0');
  assert.equal(fromFile.publicUrl, 'https://auth.example.com', 'one canonical issuer form: no trailing slash');
  assert.equal(loadConfig({ env: { PORT: '9100' }, cwd: dir }).port, 9100);
  assert.equal(loadConfig({ env: { PORT: '9100' }, cwd: dir, flags: { port: '9200' } }).port, 9200);
  assert.equal(configError({}, { port: 'x' }).setting, '--port');
});

test('sqlite: URLs accept relative and absolute paths', () => {
  assert.equal(loadConfig({ env: { KEYMINT_DATABASE_URL: 'sqlite:./db/k.db' }, cwd }).database.url, `sqlite:${join(cwd, 'db', 'k.db')}`);
  assert.equal(loadConfig({ env: { KEYMINT_DATABASE_URL: 'sqlite:/var/lib/k.db' }, cwd }).database.url, 'sqlite:/var/lib/k.db');
  assert.equal(loadConfig({ env: { KEYMINT_DATABASE_URL: 'postgres://u@127.0.0.1:5432/test' }, cwd }).database.kind, 'postgres');
});

test('operations settings: defaults, KEYMINT_TRUST_PROXY forms, and bad values named', () => {
  const config = loadConfig({ env: {}, cwd });
  assert.equal(config.trustProxy, false);
  assert.equal(config.outageGraceSeconds, 120);
  assert.equal(config.cacheRefreshSeconds, 300);
  assert.equal(config.changeLogRetentionHours, 24);
  assert.equal(config.shutdownTimeoutSeconds, 25);
  assert.equal(config.redisPrefix, 'keymint:');
  // Issue 14 defaults: end users 20 per account+address per 60 s, admins 5 per 15 min, ceiling 100, sign-up 10 per 10 min.
  assert.deepEqual({ ...config.signIn }, { windowSeconds: 60, perAccountAddress: 20, perAccount: 100, perAddress: 50 });
  assert.deepEqual({ ...config.adminSignIn }, { windowSeconds: 900, perAccountAddress: 5, perAccount: 100, perAddress: 20 });
  assert.deepEqual({ ...config.signUp }, { windowSeconds: 600, perAddress: 10 });
  assert.equal(loadConfig({ env: { KEYMINT_ADMIN_SIGNIN_FAILURES_PER_ACCOUNT: '7' }, cwd }).adminSignIn.perAccount, 7);
  for (const setting of ['KEYMINT_SIGNIN_WINDOW', 'KEYMINT_SIGNIN_FAILURES_PER_ACCOUNT_ADDRESS', 'KEYMINT_ADMIN_SIGNIN_FAILURES_PER_ADDRESS', 'KEYMINT_SIGNUPS_PER_ADDRESS', 'KEYMINT_SIGNUP_WINDOW']) {
    assert.equal(configError({ [setting]: '0' }).setting, setting);
  }
  assert.equal(configError({ KEYMINT_REDIS_PREFIX: 'a b' }).setting, 'KEYMINT_REDIS_PREFIX');
  assert.equal(loadConfig({ env: { KEYMINT_TRUST_PROXY: 'true' }, cwd }).trustProxy, true);
  assert.equal(loadConfig({ env: { KEYMINT_TRUST_PROXY: '1' }, cwd }).trustProxy, 1);
  assert.equal(loadConfig({ env: { KEYMINT_TRUST_PROXY: '10.0.0.5, 10.0.1.0/24,loopback' }, cwd }).trustProxy, '10.0.0.5,10.0.1.0/24,loopback');
  assert.equal(configError({ KEYMINT_TRUST_PROXY: 'proxy.example.com' }).setting, 'KEYMINT_TRUST_PROXY');
  assert.equal(configError({ KEYMINT_OUTAGE_GRACE: '-1' }).setting, 'KEYMINT_OUTAGE_GRACE');
  assert.equal(configError({ KEYMINT_CACHE_REFRESH: '0' }).setting, 'KEYMINT_CACHE_REFRESH');
});

test('webhook settings: defaults (private networks refused, 10 s, the documented retry schedule) and bad values named', () => {
  const webhooks = loadConfig({ env: {}, cwd }).webhooks;
  assert.deepEqual({ ...webhooks, retrySeconds: [...webhooks.retrySeconds] }, { allowPrivateNetworks: false, timeoutSeconds: 10, retrySeconds: [3, 300, 1800, 7200, 18_000, 36_000, 36_000] });
  assert.equal(loadConfig({ env: { KEYMINT_WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true' }, cwd }).webhooks.allowPrivateNetworks, true);
  assert.deepEqual([...loadConfig({ env: { KEYMINT_WEBHOOK_RETRY_SCHEDULE: '1, 60' }, cwd }).webhooks.retrySeconds], [1, 60]);
  for (const [setting, value] of [
    ['KEYMINT_WEBHOOK_ALLOW_PRIVATE_NETWORKS', 'yes'], ['KEYMINT_WEBHOOK_ALLOW_PRIVATE_NETWORKS', '1'],
    ['KEYMINT_WEBHOOK_TIMEOUT', '0'], ['KEYMINT_WEBHOOK_TIMEOUT', '61'],
    ['KEYMINT_WEBHOOK_RETRY_SCHEDULE', '5,,10'], ['KEYMINT_WEBHOOK_RETRY_SCHEDULE', '0'], ['KEYMINT_WEBHOOK_RETRY_SCHEDULE', '5m'],
  ] as const) assert.equal(configError({ [setting]: value }).setting, setting, `${setting}=${value}`);
});

test('tracing: off without OTEL_EXPORTER_OTLP_ENDPOINT; the base URL gets /v1/traces, the traces URL is kept; a bad one is named', () => {
  assert.equal(loadConfig({ env: {}, cwd }).tracing, null);
  assert.deepEqual(loadConfig({ env: { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' }, cwd }).tracing, { tracesUrl: 'http://collector:4318/v1/traces', serviceName: 'keymint' });
  assert.deepEqual(
    loadConfig({ env: { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://ignored:4318', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://otel.example/in', OTEL_SERVICE_NAME: 'auth' }, cwd }).tracing,
    { tracesUrl: 'https://otel.example/in', serviceName: 'auth' },
  );
  assert.match(configError({ OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' }).message, /OTEL_EXPORTER_OTLP_ENDPOINT/);
  assert.match(configError({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'grpc://collector:4317' }).message, /OTEL_EXPORTER_OTLP_TRACES_ENDPOINT/);
});
