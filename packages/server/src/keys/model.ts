import type { JWK } from 'jose';
import type { SigningAlgorithm } from '../crypto/algorithms.js';

export type KeyState = 'next' | 'current' | 'retired';

export interface SigningKeyInfo {
  kid: string;
  alg: SigningAlgorithm;
  state: KeyState;
  publicJwk: JWK;
  createdAt: number;
  activatedAt: number | null;
  retiredAt: number | null;
  removeAfter: number | null;
}
