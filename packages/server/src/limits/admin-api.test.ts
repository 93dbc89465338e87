import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AdminClient, createAdmin } from '../admin/testing.js';
import { startTestServer } from '../testing/harness.js';

/** Issue 20 item 1 through the admin API: limits at creation, changed later, shown in lists, bad ones refused with 400, audited. */
test('admin API: limits on API tokens (POST, PATCH) and apps (POST, PATCH), in every view, none removed with null, bad input 400, audited', { timeout: 60_000 }, async () => {
  const server = await startTestServer();
  try {
    const { email, password } = await createAdmin(server, 'owner@example.com');
    const admin = await AdminClient.signIn(server, email, password);
    const created = await admin.call('POST', '/tenants/default/api-tokens', { name: 'partner', scopes: ['contacts_read'], limits: { rate_limit: '100/1m', quota: 10_000, quota_refill: '10000/30d' } });
    assert.equal(created.status, 201);
    assert.deepEqual(created.body.info.limits, { rate_limit: '100/1m', quota: 10_000, quota_refill: '10000/30d', fail_open: false });
    const id = created.body.info.id;

    const changed = await admin.call('PATCH', `/tenants/default/api-tokens/${id}`, { limits: { rate_limit: null, quota: 50, fail_open: true } });
    assert.equal(changed.status, 200);
    assert.deepEqual(changed.body.limits, { rate_limit: null, quota: 50, quota_refill: '10000/30d', fail_open: true }, 'absent fields kept, null removes');
    const listed = await admin.call('GET', '/tenants/default/api-tokens');
    assert.deepEqual(listed.body.tokens.find((t: { id: string }) => t.id === id).limits, changed.body.limits);

    for (const limits of [{ rate_limit: '100 per minute' }, { rate_limit: '0/1m' }, { quota: 0 }, { quota: 1.5 }, { quota_refill: '5/0s' }, { unknown: 1 }]) {
      const refused = await admin.call('PATCH', `/tenants/default/api-tokens/${id}`, { limits });
      assert.equal(refused.status, 400, JSON.stringify(limits));
      assert.equal(refused.body.error, 'invalid_request');
    }
    const refill = await admin.call('POST', '/tenants/default/api-tokens', { name: 'refill only', limits: { quota_refill: '5/1d' } });
    assert.equal(refill.status, 400, 'a refill needs a quota');
    assert.equal((await admin.call('PATCH', '/tenants/default/api-tokens/tok_missing', { limits: { quota: 1 } })).status, 404);

    const app = await admin.call('POST', '/tenants/default/apps', { name: 'metered', scopes: ['contacts_read'], limits: { rate_limit: '10/5s' } });
    assert.equal(app.status, 201);
    assert.equal(app.body.app.limits.rate_limit, '10/5s');
    const patched = await admin.call('PATCH', `/tenants/default/apps/${app.body.app.client_id}`, { limits: { quota: 1000 } });
    assert.deepEqual(patched.body.app.limits, { rate_limit: '10/5s', quota: 1000, quota_refill: null, fail_open: false });

    const tenant = await server.server.keymint.tenants.get('default');
    await server.server.keymint.audit.flush();
    const actions = (await server.server.keymint.audit.list(tenant.id)).map((e) => e.action);
    assert.equal(actions.filter((a) => a === 'api_token.limits_changed').length, 1, 'one entry per change; refused changes none');
  } finally {
    await server.close();
  }
});
