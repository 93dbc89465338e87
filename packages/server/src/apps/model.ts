import type { Limits, LimitsInput } from '../limits/model.js';

export const AUTH_METHODS = ['client_secret_basic', 'client_secret_post', 'signed_request', 'private_key_jwt'] as const;
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
  /** RFC 9449: tokens are issued only to requests with a DPoP proof, and always bound to its key. */
  requireDpop: boolean;
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
  /** A client_id chosen by the caller (config as code keeps an app's id across installations); random when absent. */
  clientId?: string;
  requireDpop?: boolean;
  /** Absent: no limits. */
  limits?: LimitsInput;
  /** A JWKS (`{"keys": [...]}`) of public keys: required with, and only with, private_key_jwt. */
  jwks?: unknown;
}

/** A public key registered for private_key_jwt, as it may be listed. */
export interface AppKeyInfo {
  kid: string;
  /** RFC 7638 SHA-256 thumbprint, base64url. */
  thumbprint: string;
  kty: string;
  alg: string | null;
  createdAt: number;
}

/** Limits from DESIGN "Concepts". */
export const APP_LIMITS = {
  minTokenLifetime: 60,
  maxTokenLifetime: 86_400,
  maxActiveSecrets: 5,
  clientIdLength: 24,
  /** Public keys per private_key_jwt app (rotation needs two; a bound keeps the try-each-key path short). */
  maxKeys: 10,
} as const;

export const DEFAULT_AUTH_METHODS: AuthMethod[] = ['client_secret_basic', 'client_secret_post'];
