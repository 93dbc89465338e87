import type { Limits, LimitsInput } from '../limits/model.js';

export const AUTH_METHODS = ['client_secret_basic', 'client_secret_post', 'signed_request'] as const;
export type AuthMethod = (typeof AUTH_METHODS)[number];

export const TOKEN_FORMATS = ['jwt', 'opaque'] as const;
export type TokenFormat = (typeof TOKEN_FORMATS)[number];

export type AppStatus = 'active' | 'disabled';

export interface App {
  id: string;
  tenantId: string;
  clientId: string;
  name: string;
  scopes: string[];
  audiences: string[];
  /** Seconds; null means the tenant's default. */
  tokenLifetime: number | null;
  tokenFormat: TokenFormat;
  authMethods: AuthMethod[];
  status: AppStatus;
  createdAt: number;
  updatedAt: number;
  /** Rate limit and quota shared by every token of the app (limits/, docs/gateway.md). */
  limits: Limits;
}

export type SecretStatus = 'active' | 'expired' | 'revoked';

/** A client secret as it may be shown again: never the secret itself. */
export interface SecretInfo {
  id: string;
  hint: string;
  status: SecretStatus;
  createdAt: number;
  expiresAt: number | null;
  lastUsedAt: number | null;
  revokedAt: number | null;
}

export interface CreateAppInput {
  name: string;
  scopes?: string[];
  audiences?: string[];
  tokenLifetime?: number | null;
  tokenFormat?: string;
  authMethods?: string[];
  /** Absent: no limits. */
  limits?: LimitsInput;
}

/** Limits from DESIGN "Concepts". */
export const APP_LIMITS = {
  minTokenLifetime: 60,
  maxTokenLifetime: 86_400,
  maxActiveSecrets: 5,
  clientIdLength: 24,
} as const;

export const DEFAULT_AUTH_METHODS: AuthMethod[] = ['client_secret_basic', 'client_secret_post'];
