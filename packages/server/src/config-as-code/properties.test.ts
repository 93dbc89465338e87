import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import fc from 'fast-check';
import { AUTH_METHODS } from '../apps/model.js';
import { SIGNING_ALGORITHMS } from '../crypto/algorithms.js';
import { startTestServer, type TestServer } from '../testing/harness.js';
import { newTenantState, readConfigDocument } from './declare.js';
import { planChanges } from './plan.js';
import type { ConfigDocument, TenantDeclaration } from './schema.js';

// Properties of export and apply on the test database (KEYMINT_TEST_DATABASE), through the
// services and without HTTP: export ∘ apply is a fixed point, and a second apply changes nothing.

let server: TestServer;
before(async () => (server = await startTestServer()));
after(() => server.close());

let runs = 0;
/** A fresh tenant slug per run (shrinking reruns too), and client ids derived from it. */
function placed(tenant: Omit<TenantDeclaration, 'slug'>, slug = `prop-${++runs}`): TenantDeclaration {
  return { ...tenant, slug, apps: tenant.apps!.map((a, i) => ({ ...a, client_id: `${slug}-${i}` })) };
}
const SCOPE_POOL = ['reports_read', 'reports_write', 'billing:admin', 'contacts_read'];
/** Public keys a private_key_jwt app may declare (generated once; the property is about files, not keys). */
const KEY_POOL = (['P-256', 'P-384'] as const).map((namedCurve, i) => ({ ...generateKeyPairSync('ec', { namedCurve }).publicKey.export({ format: 'jwk' }), kid: `k${i}` })) as { kty: string; kid: string }[];
const SECRET_METHODS = AUTH_METHODS.filter((method) => method !== 'private_key_jwt');
const subset = <T>(values: readonly T[], min = 0) => fc.subarray([...values], { minLength: min });

/** A tenant declaration valid for a new tenant, without its slug and client ids (see placed). */
function tenantArbitrary(): fc.Arbitrary<Omit<TenantDeclaration, 'slug'>> {
  const scopes = fc.uniqueArray(fc.record({ name: fc.constantFrom(...SCOPE_POOL), description: fc.string({ maxLength: 30 }), default: fc.boolean() }), { selector: (s) => s.name, maxLength: 3 });
  return scopes.chain((declared) => {
    const catalog = ['contacts_read', 'contacts_write', ...declared.map((s) => s.name)];
    const app = fc.record({
      name: fc.string({ minLength: 1, maxLength: 40 }).filter((n) => n.trim().length > 0),
      scopes: subset([...new Set(catalog)]),
      audiences: fc.uniqueArray(fc.webUrl(), { maxLength: 2 }),
      token_lifetime: fc.option(fc.integer({ min: 60, max: 86_400 })),
      token_format: fc.constantFrom('jwt' as const, 'opaque' as const),
      status: fc.constantFrom('active' as const, 'disabled' as const),
      require_dpop: fc.boolean(),
      limits: fc.record({
        rate_limit: fc.option(fc.constantFrom('100/1m', '10/5s', '100/60s', '5000/1d')),
        quota: fc.option(fc.integer({ min: 1, max: 100_000 })),
        fail_open: fc.boolean(),
      }, { requiredKeys: [] }),
    }, { requiredKeys: ['name'] }).chain((fields) => fc.oneof(
      // private_key_jwt stands alone and brings its keys; the secret methods combine freely.
      fc.record({ auth_methods: subset(SECRET_METHODS, 1) }),
      fc.record({ auth_methods: fc.constant<('private_key_jwt')[]>(['private_key_jwt']), jwks: subset(KEY_POOL, 1).map((keys) => ({ keys })) }),
    ).map((auth) => ({ ...fields, ...auth })));
    return fc.record({
      name: fc.string({ minLength: 1, maxLength: 40 }).filter((n) => n.trim().length > 0),
      settings: fc.record({
        default_token_lifetime: fc.integer({ min: 60, max: 86_400 }),
        signed_request_window: fc.integer({ min: 1, max: 300 }),
        signing_alg: fc.constantFrom(...SIGNING_ALGORITHMS.filter((a) => a !== 'RS256')),
      }, { requiredKeys: [] }),
      end_users: fc.record({
        token_mode: fc.constantFrom('bearer' as const, 'cookie' as const),
        allowed_origins: fc.uniqueArray(fc.constantFrom('https://app.example.com', 'http://localhost:5173', 'https://a.example:8443/'), { maxLength: 2 }),
        refresh_reuse_grace: fc.integer({ min: 0, max: 60 }),
        signup: fc.constantFrom('open' as const, 'closed' as const),
        require_verified_email: fc.boolean(),
      }, { requiredKeys: [] }),
      apps: fc.array(app, { maxLength: 3 }),
    }).map((t) => ({ ...t, scopes: declared, apps: t.apps.map((a) => ({ ...a, client_id: '' })) }));
  });
}

test('property: export after apply gives back the file (normalized), and applying either again plans no change', async () => {
  await fc.assert(
    fc.asyncProperty(tenantArbitrary(), async (generated) => {
      const tenant = placed(generated);
      const { configAsCode } = server.server.keymint;
      const document: ConfigDocument = { version: 1, tenants: [tenant] };
      const first = await configAsCode.apply(document);
      assert.ok(first.changes >= 1, 'a new tenant is at least one change');
      const secretApps = tenant.apps!.filter((app) => !app.auth_methods?.includes('private_key_jwt'));
      assert.equal(first.secrets.length, secretApps.length, 'each new app has its first secret, once (private_key_jwt apps have none)');
      const exported = await configAsCode.export([tenant.slug]);
      const [wanted] = readConfigDocument(document);
      // The seeded scopes stay in the catalog (apply never removes scopes): compare the rest.
      const { scopes: exportedScopes, ...exportedRest } = exported.tenants[0]!;
      const { scopes: wantedScopes, ...wantedRest } = wanted!;
      assert.deepEqual(exportedRest, wantedRest);
      for (const scope of wantedScopes) assert.deepEqual(exportedScopes.find((s) => s.name === scope.name), scope);
      assert.equal((await configAsCode.apply(document)).changes, 0, 'apply twice = no changes');
      assert.equal((await configAsCode.apply(exported)).changes, 0, 'the export applied is a fixed point');
      assert.deepEqual(await configAsCode.export([tenant.slug]), exported);
    }),
    { numRuns: 15 },
  );
});

test('property: from any applied state, applying another file for the same tenant reaches it (with --prune, apps left out end disabled)', async () => {
  await fc.assert(
    fc.asyncProperty(tenantArbitrary(), tenantArbitrary(), fc.boolean(), async (first, second, prune) => {
      const before = placed(first);
      const after = placed(second, before.slug);
      const { configAsCode } = server.server.keymint;
      await configAsCode.apply({ version: 1, tenants: [before] });
      // A disabled app stays disabled (apply refuses to re-enable: tested below).
      const previous = new Map(before.apps!.map((a) => [a.client_id, a.status ?? 'active']));
      const next = { ...after, apps: after.apps!.map((a) => (previous.get(a.client_id) === 'disabled' ? { ...a, status: 'disabled' as const } : a)) };
      await configAsCode.apply({ version: 1, tenants: [next] }, { prune });
      const [state] = (await configAsCode.export([before.slug])).tenants;
      const [wanted] = readConfigDocument({ version: 1, tenants: [next] });
      assert.deepEqual(state!.settings, wanted!.settings);
      assert.deepEqual(state!.end_users, wanted!.end_users);
      for (const app of wanted!.apps) assert.deepEqual(state!.apps.find((a) => a.client_id === app.client_id), app);
      const declared = new Set(wanted!.apps.map((a) => a.client_id));
      for (const app of state!.apps.filter((a) => !declared.has(a.client_id))) assert.equal(app.status, prune ? 'disabled' : (previous.get(app.client_id) ?? 'active'));
      assert.equal((await configAsCode.apply({ version: 1, tenants: [next] }, { prune })).changes, 0);
    }),
    { numRuns: 10 },
  );
});

test('property (pure): a state planned against itself has no change; against nothing, it starts with the tenant', () => {
  fc.assert(
    fc.property(tenantArbitrary(), (generated) => {
      const [state] = readConfigDocument({ version: 1, tenants: [placed(generated)] });
      // An existing tenant holds its seeded scopes besides those of the file.
      const seeded = newTenantState(state!.slug, state!.name, state!.settings.signing_alg).scopes.filter((s) => !state!.scopes.some((d) => d.name === s.name));
      const existing = { ...state!, scopes: [...seeded, ...state!.scopes] };
      assert.deepEqual(planChanges(new Map([[state!.slug, existing]]), [state!], { prune: true }), { changes: [], refusals: [] });
      const fresh = planChanges(new Map(), [state!], { prune: false });
      assert.deepEqual(fresh.changes[0], { action: 'create', resource: 'tenant', tenant: state!.slug, target: state!.slug, value: { name: state!.name, signing_alg: state!.settings.signing_alg } });
      assert.equal(fresh.changes.filter((c) => c.resource === 'app').length, state!.apps.length, 'one change per app, disabled ones included');
    }),
    { numRuns: 200 },
  );
});
