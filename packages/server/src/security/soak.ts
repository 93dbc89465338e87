// Soak test (npm run test:soak; not part of npm test): 60 s of mixed load on loopback against the
// real `keymint serve` (token endpoints, envelope, introspection, JWKS, revocation feed, the
// resource API with JWT, kma_ and kmk_ tokens), with two key rotations and an SDK verifier
// checking fresh tokens all along. Passes with zero 5xx, zero non-2xx, zero failed
// verifications and a flat RSS; prints the RSS samples. KEYMINT_SOAK_SECONDS changes the length
// (10–600). It starts and stops its own server and removes its data folder.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { createVerifier } from '@keymint/sdk/node';
import { randomKey } from '../crypto/random.js';
import { basic } from '../testing/harness.js';
import { freePort } from '../testing/net.js';
import { ChildServer } from './child-server.js';

const seconds = Math.min(Math.max(Number(process.env.KEYMINT_SOAK_SECONDS ?? 60), 10), 600);
const connections = 16;
const SAMPLE_MS = 5_000;

function rssMb(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Math.round(Number(match[1]) / 1024) : NaN;
}

async function main(): Promise<number> {
  const dataDir = mkdtempSync(join(tmpdir(), 'keymint-soak-'));
  const env = {
    KEYMINT_DATA_DIR: dataDir,
    KEYMINT_MASTER_KEY: randomKey(32).toString('base64url'),
    KEYMINT_LOG_LEVEL: 'warn',
    // Verifiers refetch the JWKS every second, so the rotations below happen within the run.
    KEYMINT_JWKS_MAX_AGE: '1',
  };
  const server = new ChildServer(await freePort(), env, dataDir);
  const watchdog = setTimeout(() => {
    console.error('soak took too long: stopping');
    void server.kill9().finally(() => process.exit(1));
  }, (seconds + 120) * 1000);
  try {
    await server.start();
    const issuer = server.issuer;
    const jwtApp = await server.cli('app', 'create', '--name', 'soak jwt', '--scopes', 'contacts_read,contacts_write');
    const opaqueApp = await server.cli('app', 'create', '--name', 'soak opaque', '--scopes', 'contacts_read', '--format', 'opaque');
    const apiToken = (await server.cli('token', 'create', '--name', 'soak', '--scopes', 'contacts_read')).token as string;
    const token = async (app: { client_id: string; client_secret: string }) => {
      const response = await fetch(`${issuer}/oauth/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic(app.client_id, app.client_secret) }, body: 'grant_type=client_credentials' });
      if (response.status !== 200) throw new Error(`token request failed: ${response.status}`);
      return ((await response.json()) as { access_token: string }).access_token;
    };
    const jwt = await token(jwtApp);
    const opaque = await token(opaqueApp);
    const path = (p: string) => new URL(`${issuer}${p}`).pathname;
    const form = { 'content-type': 'application/x-www-form-urlencoded' };
    const requests = [
      { method: 'POST' as const, path: path('/oauth/token'), headers: { ...form, authorization: basic(jwtApp.client_id, jwtApp.client_secret) }, body: 'grant_type=client_credentials' },
      { method: 'GET' as const, path: path('/api/v1/contacts'), headers: { authorization: `Bearer ${jwt}` } },
      { method: 'POST' as const, path: path('/oauth/token'), headers: { ...form, authorization: basic(opaqueApp.client_id, opaqueApp.client_secret) }, body: 'grant_type=client_credentials' },
      { method: 'GET' as const, path: path('/api/v1/contacts'), headers: { authorization: `Bearer ${opaque}` } },
      { method: 'GET' as const, path: path('/api/v1/contacts'), headers: { authorization: `Bearer ${apiToken}` } },
      { method: 'POST' as const, path: path('/oauth/introspect'), headers: { ...form, authorization: basic(jwtApp.client_id, jwtApp.client_secret) }, body: `token=${jwt}` },
      { method: 'POST' as const, path: path('/v1/auth/token'), headers: form, body: new URLSearchParams({ client_id: jwtApp.client_id, client_secret: jwtApp.client_secret }).toString() },
      { method: 'GET' as const, path: path('/.well-known/jwks.json') },
      { method: 'GET' as const, path: path('/oauth/revocations') },
      { method: 'GET' as const, path: path('/.well-known/oauth-authorization-server') },
    ];

    const samples: { at: number; rssMb: number }[] = [];
    const started = Date.now();
    const sample = () => samples.push({ at: Math.round((Date.now() - started) / 1000), rssMb: rssMb(server.pid!) });
    sample();
    const sampler = setInterval(sample, SAMPLE_MS);

    // An integrator's verifier, fed fresh tokens all along, across two key rotations.
    const verifier = createVerifier({ issuer, audience: `${issuer}/api`, cacheSize: 0 });
    let verified = 0;
    const failedVerifications: string[] = [];
    let verifying = true;
    const verifyLoop = (async () => {
      while (verifying) {
        try {
          await verifier.verify(await token(jwtApp));
          verified += 1;
        } catch (error) {
          failedVerifications.push((error as Error).message);
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    })();
    const rotations = [1, 2].map((n) => new Promise<string>((resolve, reject) => setTimeout(() => void server.cli('keys', 'rotate').then((r) => resolve(String(r.promoted)), reject), (seconds * 1000 * n) / 3)));

    const result = await autocannon({ url: server.url, connections, duration: seconds, requests });
    verifying = false;
    await verifyLoop;
    verifier.close();
    const promoted = await Promise.all(rotations);
    clearInterval(sampler);
    sample();

    const statuses = Object.fromEntries(Object.entries(result.statusCodeStats ?? {}).map(([code, { count }]) => [code, count]));
    const fiveXx = Object.entries(statuses).filter(([code]) => code.startsWith('5')).reduce((sum, [, count]) => sum + count, 0);
    // Flat: after the first 15 s of warm-up, the last samples stay within 25 % (or 32 MB) of the first.
    const warm = samples.filter((s) => s.at >= 15);
    const baseline = warm[0]?.rssMb ?? samples[0]!.rssMb;
    const final = samples[samples.length - 1]!.rssMb;
    const growthMb = final - baseline;
    const flat = growthMb <= Math.max(32, baseline * 0.25);
    const report = {
      seconds,
      connections,
      requests: result.requests.total,
      requests_per_second: Math.round(result.requests.average),
      latency_ms: { p50: result.latency.p50, p99: result.latency.p99, max: result.latency.max },
      statuses,
      five_xx: fiveXx,
      non_2xx: result.non2xx,
      errors: result.errors,
      timeouts: result.timeouts,
      verifications: verified,
      failed_verifications: failedVerifications.length,
      key_rotations: promoted,
      rss_mb_samples: samples,
      rss_growth_after_warmup_mb: growthMb,
      memory_flat: flat,
    };
    console.log(JSON.stringify(report, null, 2));
    const failures = [
      fiveXx > 0 && `${fiveXx} responses were 5xx`,
      result.non2xx > 0 && `${result.non2xx} responses were not 2xx`,
      result.errors > 0 && `${result.errors} connection errors`,
      failedVerifications.length > 0 && `${failedVerifications.length} failed verifications: ${failedVerifications[0]}`,
      verified < seconds && `only ${verified} verifications`,
      !flat && `RSS grew ${growthMb} MB after warm-up`,
    ].filter(Boolean);
    for (const failure of failures) console.error(`soak: FAILED: ${failure}`);
    if (failures.length === 0) console.log('soak: passed');
    return failures.length === 0 ? 0 : 1;
  } finally {
    clearTimeout(watchdog);
    await server.kill9();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

process.exitCode = await main();
