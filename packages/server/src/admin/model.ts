/**
 * Admin roles (docs/admin.md): `owner` may do everything, `viewer` may only read. An account
 * or admin token is either global (tenantId null: every tenant, and may create tenants) or
 * bound to one tenant, and then cannot see or touch any other.
 */
export const ADMIN_ROLES = ['owner', 'viewer'] as const;
export type AdminRole = (typeof ADMIN_ROLES)[number];

export interface AdminAccount {
  id: string;
  email: string;
  role: AdminRole;
  tenantId: string | null;
  hasPassword: boolean;
  createdAt: number;
}

/** Who is calling the admin API: a console session or an admin API token. */
export interface AdminPrincipal {
  email: string;
  role: AdminRole;
  tenantId: string | null;
  via: 'session' | 'token';
  /** Session: SHA-256 of its CSRF token, which every unsafe request must echo in a header. */
  csrfHash?: string;
  /** Token: its id, for audit. */
  tokenId?: string;
}

export interface AdminTokenInfo {
  id: string;
  name: string;
  hint: string;
  role: AdminRole;
  tenantId: string | null;
  createdBy: string;
  createdAt: number;
  lastUsedAt: number | null;
  revokedAt: number | null;
}

/** Lifetimes and limits; see docs/admin.md. */
export const ADMIN_LIMITS = {
  sessionMs: 12 * 3_600_000,
  setupLinkMs: 24 * 3_600_000,
  minPasswordLength: 10,
} as const;
