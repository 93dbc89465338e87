import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ClientRecord } from '../apps/service.js';
import { safeEqual, sha256 } from '../crypto/hash.js';
import { matchClientSecret, matchSignedSecret, type MatchingPrimitives } from './secret-matching.js';

const NOW = 1_800_000_000_000;

function counting(): MatchingPrimitives & { hashes: number; compares: number } {
  const counts = { hashes: 0, compares: 0 };
  return Object.assign(counts, {
    hash: (value: string) => {
      counts.hashes++;
      return sha256(value);
    },
    compare: (a: string, b: string) => {
      counts.compares++;
      return safeEqual(a, b);
    },
  });
}

function record(secrets: { id: string; secret: string; revokedAt?: number; expiresAt?: number }[]): ClientRecord {
  return {
    app: {} as ClientRecord['app'],
    secrets: secrets.map((s) => ({ id: s.id, hash: sha256(s.secret), revokedAt: s.revokedAt ?? null, expiresAt: s.expiresAt ?? null, sealed: `sealed:${s.secret}` })),
    keys: [],
  };
}

test('RFC 6749 §2.3.1 constant-time decoy: an unknown client costs the same hash and comparisons as a wrong secret for a client with one secret', () => {
  const unknown = counting();
  assert.equal(matchClientSecret(null, 'kms_guess', NOW, unknown), null);
  const wrong = counting();
  assert.equal(matchClientSecret(record([{ id: 's1', secret: 'kms_right' }]), 'kms_guess', NOW, wrong), null);
  assert.deepEqual({ hashes: unknown.hashes, compares: unknown.compares }, { hashes: 1, compares: 1 });
  assert.deepEqual({ hashes: wrong.hashes, compares: wrong.compares }, { hashes: 1, compares: 1 });
});

test('every secret of a client is compared, with no early exit, and only an active one matches', () => {
  const client = record([
    { id: 'revoked', secret: 'kms_a', revokedAt: NOW - 1 },
    { id: 'expired', secret: 'kms_b', expiresAt: NOW },
    { id: 'live', secret: 'kms_c' },
  ]);
  for (const [presented, expected] of [['kms_a', null], ['kms_b', null], ['kms_c', 'live'], ['kms_x', null]] as const) {
    const primitives = counting();
    assert.equal(matchClientSecret(client, presented, NOW, primitives), expected, presented);
    assert.equal(primitives.compares, 3, `${presented}: one comparison per secret`);
    assert.equal(primitives.hashes, 1);
  }
});

test('signed requests: a client with no sealed secret (unknown, or not allowing signed requests) costs one decoy verification, like a wrong signature', () => {
  const open = (sealed: string) => sealed.slice('sealed:'.length);
  let verifications = 0;
  const verify = (secret: string) => {
    verifications++;
    return secret === 'kms_right';
  };
  assert.equal(matchSignedSecret(null, verify, open, NOW), null);
  assert.equal(verifications, 1, 'unknown client: one decoy verification');
  verifications = 0;
  const noSealed = record([{ id: 's1', secret: 'kms_right' }]);
  noSealed.secrets[0]!.sealed = null;
  assert.equal(matchSignedSecret(noSealed, verify, open, NOW), null);
  assert.equal(verifications, 1, 'no sealed copy: one decoy verification');
  verifications = 0;
  assert.equal(matchSignedSecret(record([{ id: 's1', secret: 'kms_other' }]), verify, open, NOW), null);
  assert.equal(verifications, 1, 'wrong signature: one verification');
  verifications = 0;
  assert.equal(matchSignedSecret(record([{ id: 's1', secret: 'kms_right' }]), verify, open, NOW), 's1');
});
