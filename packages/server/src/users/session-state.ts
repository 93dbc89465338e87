import type { UserSessionRow } from '../store/schema.js';
import type { EndUserSettings } from './model.js';

/** Why a session no longer accepts refreshes, or null when it is live. */
export function sessionEnded(row: UserSessionRow, settings: EndUserSettings, now: number): string | null {
  if (row.revoked_at !== null) return 'the session has been revoked';
  if (Number(row.expires_at) <= now) return 'the session has expired';
  if (Number(row.last_used_at) + settings.sessionIdleTimeout * 1000 <= now) return 'the session has expired (idle)';
  return null;
}

/** The `exp` of an access token issued at `now`, in ms: what a session revocation must cover. */
export function accessExpiry(now: number, settings: EndUserSettings): number {
  return (Math.floor(now / 1000) + settings.accessTokenLifetime) * 1000;
}
