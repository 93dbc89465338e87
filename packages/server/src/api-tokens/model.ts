import type { Limits, LimitsInput } from '../limits/model.js';

export interface ApiTokenInfo {
  id: string;
  name: string;
  /** Prefix and first random characters: enough to recognise a token, useless to use it. */
  hint: string;
  scopes: string[];
  status: 'active' | 'expired' | 'revoked';
  createdAt: number;
  expiresAt: number | null;
  lastUsedAt: number | null;
  revokedAt: number | null;
  /** Rate limit, quota and outage behaviour (limits/, docs/gateway.md). */
  limits: Limits;
}

export interface CreateApiTokenInput {
  name: string;
  scopes?: string[];
  /** Seconds from now; null or absent: no expiry. */
  expiresInSeconds?: number | null;
  /** Absent: no limits. */
  limits?: LimitsInput;
}

export interface NewApiToken {
  info: ApiTokenInfo;
  /** The plaintext `kmk_` token: returned once, never stored. */
  token: string;
}
