import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createDpopProof, generateDpopKey } from '@keymint/sdk/node';
import { basic } from '../testing/harness.js';
import { burst, TOPOLOGIES, type Deployment } from '../testing/topologies.js';

/**
 * SECURITY-CHECKLIST "One-time values are consumed by one atomic statement", for DPoP proofs
 * (RFC 9449 §11.1): one proof fired concurrently at one process, at `serve --workers 2` and at two
 * nodes sharing the database and Redis (requests alternating between them) buys exactly one
 * token at the token endpoint and exactly one answer at the Contacts API.
 */
const BURST = 20;

for (const [name, start] of TOPOLOGIES) {
  describe(`DPoP proof replay under a concurrent burst: ${name}`, { timeout: 300_000 }, () => {
    let deployment: Deployment;
    before(async () => {
      deployment = await start({});
    });
    after(async () => {
      await deployment.close();
    });

    test(`one proof sent ${BURST} times at once: exactly one token at the token endpoint, exactly one 200 at the Contacts API`, async () => {
      const app = await deployment.createApp();
      const key = await generateDpopKey('ES256');
      // Every node names the public URL of node 0 in its issuer: that is the URL proofs are for.
      const tokenUrl = `${deployment.base(0)}/t/default/oauth/token`;
      const proof = await createDpopProof(key, { method: 'POST', url: tokenUrl });
      const answers = await burst(BURST, async (i) => {
        const response = await fetch(`${deployment.base(i)}/t/default/oauth/token`, {
          method: 'POST',
          headers: { authorization: basic(app.clientId, app.clientSecret), 'content-type': 'application/x-www-form-urlencoded', dpop: proof },
          body: 'grant_type=client_credentials&scope=contacts_read',
        });
        return { status: response.status, body: (await response.json()) as { access_token?: string; error?: string } };
      });
      const issued = answers.filter((a) => a.status === 200);
      assert.equal(issued.length, 1, JSON.stringify(answers.map((a) => a.status)));
      assert.deepEqual(new Set(answers.filter((a) => a.status !== 200).map((a) => `${a.status} ${a.body.error}`)), new Set(['400 invalid_dpop_proof']));

      const token = issued[0]!.body.access_token!;
      const contactsUrl = `${deployment.base(0)}/t/default/api/v1/contacts`;
      const resourceProof = await createDpopProof(key, { method: 'GET', url: contactsUrl, accessToken: token });
      const calls = await burst(BURST, async (i) => {
        const response = await fetch(`${deployment.base(i)}/t/default/api/v1/contacts`, { headers: { authorization: `DPoP ${token}`, dpop: resourceProof } });
        await response.body?.cancel();
        return response.status;
      });
      assert.equal(calls.filter((status) => status === 200).length, 1, JSON.stringify(calls));
      assert.equal(calls.filter((status) => status === 401).length, BURST - 1, JSON.stringify(calls));
    });
  });
}
