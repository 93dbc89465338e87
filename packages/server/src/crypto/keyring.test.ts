import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MasterKeyring, sealedBy, toMasterKey } from './keyring.js';
import { randomKey } from './random.js';
import { seal as sealV1, SealError } from './seal.js';

test('keyring: the current key seals and names itself; previous keys open; values sealed before key ids (v1) still open', () => {
  const old = toMasterKey(randomKey(32));
  const current = toMasterKey(randomKey(32));
  const before = new MasterKeyring(old);
  const sealedOld = before.seal('secret', 'ctx');
  assert.equal(sealedBy(sealedOld), old.id);
  const ring = new MasterKeyring(current, [old]);
  assert.equal(ring.open(sealedOld, 'ctx'), 'secret');
  assert.equal(sealedBy(ring.seal('x', 'ctx')), current.id);
  assert.equal(ring.open(sealV1(old.key, 'legacy', 'ctx'), 'ctx'), 'legacy');
  assert.throws(() => new MasterKeyring(current).open(sealedOld, 'ctx'), (e: unknown) => e instanceof SealError && e.message.includes(old.id));
  assert.throws(() => ring.open(sealedOld, 'another row'), SealError, 'the context stays bound');
  assert.match(old.id, /^[0-9a-f]{12}$/);
});
