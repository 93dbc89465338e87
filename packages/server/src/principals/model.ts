/**
 * Who a Bearer credential other than a JWT speaks for, as the resource API needs it.
 * `clientId` is null for API tokens (they belong to the tenant, not to an app).
 */
export interface Principal {
  tenantSlug: string;
  clientId: string | null;
  scopes: string[];
  kind: 'api_token' | 'opaque';
  /** The API token's id, or the app's client_id for an opaque token. */
  subject: string;
}
