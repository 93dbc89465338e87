import { DEFAULT_SIGNING_ALGORITHM, type SigningAlgorithm } from '../crypto/algorithms.js';
import type { EndUserSettings } from '../users/model.js';

export interface TenantSettings {
  /** Seconds an app's access token lives unless the app sets its own lifetime. */
  defaultTokenLifetime: number;
  /** Signed-request profile: how far (seconds) a request's timestamp may be from server time. */
  signedRequestMaxSkew: number;
  /**
   * The JWS algorithm of the tenant's signing keys. A change takes effect through rotation: a key
   * of the new algorithm is published ahead, then signs (keys/service.ts).
   */
  signingAlg: SigningAlgorithm;
  /** End-user settings (users/model.ts); defaults apply to any field not set. */
  endUsers?: Partial<EndUserSettings>;
}

export interface Tenant {
  id: string;
  slug: string;
  name: string;
  appId: string;
  settings: TenantSettings;
  createdAt: number;
}

export interface Scope {
  name: string;
  description: string;
  isDefault: boolean;
}

export const DEFAULT_TENANT_SETTINGS: TenantSettings = { defaultTokenLifetime: 7200, signedRequestMaxSkew: 5, signingAlg: DEFAULT_SIGNING_ALGORITHM };

/** Bounds of the signed-request timestamp window: wide windows make captured requests replayable longer. */
export const SIGNED_REQUEST_SKEW_LIMITS = { min: 1, max: 300 } as const;

/** The catalog every new tenant starts with (DESIGN "Scope catalog"). */
export const SEEDED_SCOPES: readonly Scope[] = [
  { name: 'contacts_read', description: 'Read contacts', isDefault: true },
  { name: 'contacts_write', description: 'Create, update, unsubscribe and delete contacts', isDefault: false },
];

export const TENANT_SLUG_PATTERN = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
