// What several pages share: their props, the expiry and auth-method choices, the scope picker.
import type * as C from '../contract';
import { Empty } from '../ui';

export interface PageProps {
  tenant: string;
  /** The tenant's issuer URL (its endpoints hang from it). */
  issuer: string;
  canWrite: boolean;
  navigate: (path: string) => void;
}

/** Where the server mounts the console (admin/console.ts). */
export const BASE = '/console';
export const EXPIRIES: [string, string][] = [['', 'Never'], ['7d', '7 days'], ['30d', '30 days'], ['90d', '90 days'], ['365d', '1 year']];
export const AUTH_METHODS = ['client_secret_basic', 'client_secret_post', 'signed_request'];

/**
 * An app's name as people can tell it apart: names need not be unique (docs/admin.md), so a name
 * that several apps share carries the start of the client id.
 */
export function appLabel(app: { name: string; client_id: string }, all: readonly { name: string; client_id: string }[]): string {
  const shared = all.some((other) => other.name === app.name && other.client_id !== app.client_id);
  return shared ? `${app.name} · ${app.client_id.slice(0, 6)}…` : app.name;
}

/** Shown wherever an app's scopes are chosen or shown, when it has none. */
export const NO_SCOPES = 'No scopes: this app\'s tokens will grant nothing, and every API will refuse them. Choose at least one scope.';

/** The scope checkboxes of the app and API-token forms. */
export function ScopePicker(props: { scopes: { name: string; description: string }[]; selected: string[]; onChange: (s: string[]) => void; idPrefix: string }) {
  return (
    <fieldset>
      <legend>Scopes</legend>
      {props.scopes.length === 0 ? <Empty>The catalog has no scopes.</Empty> : null}
      {props.scopes.map((scope) => (
        <label class="check" key={scope.name}>
          <input
            type="checkbox"
            id={`${props.idPrefix}-${scope.name}`}
            name="scopes"
            value={scope.name}
            checked={props.selected.includes(scope.name)}
            onChange={(e) => props.onChange((e.currentTarget as HTMLInputElement).checked ? [...props.selected, scope.name] : props.selected.filter((s) => s !== scope.name))}
          />
          <span><code>{scope.name}</code> <small>{scope.description}</small></span>
        </label>
      ))}
    </fieldset>
  );
}

/** A key's limits in one line: `100/1m · quota 10000 (10000/30d)`, or `none`. */
export function limitsLabel(limits: C.Limits): string {
  const parts = [
    ...(limits.rate_limit ? [limits.rate_limit] : []),
    ...(limits.quota === null ? [] : [`quota ${limits.quota}${limits.quota_refill ? ` (${limits.quota_refill})` : ''}`]),
  ];
  return parts.length === 0 ? 'none' : `${parts.join(' · ')}${limits.fail_open ? ' · fails open' : ''}`;
}
