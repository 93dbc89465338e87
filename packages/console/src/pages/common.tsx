// What several pages share: their props, the expiry and auth-method choices, the scope picker.
import type * as C from '../contract';
import { useState } from 'preact/hooks';
import { Dialog, Empty, ErrorNote } from '../ui';

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

/** A pasted JWKS (private_key_jwt): parsed here, checked by the server (public keys only). */
export function parseJwks(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new Error('The JWKS is not valid JSON: paste {"keys": [ ...public JWKs ]}');
  }
}

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

/**
 * Edits a key's limits (docs/gateway.md): empty fields remove a limit; `save` sends the admin
 * API's `limits` body (PATCH …/api-tokens/:id or …/apps/:client_id).
 */
export function LimitsDialog({ id, title, limits, error, onSave, onClose }: {
  id: string; title: string; limits: C.Limits | null; error: string | null;
  onSave: (limits: { rate_limit: string | null; quota: number | null; quota_refill: string | null; fail_open: boolean }) => void; onClose: () => void;
}) {
  const [rate, setRate] = useState(limits?.rate_limit ?? '');
  const [quota, setQuota] = useState(limits?.quota === null || limits === null ? '' : String(limits.quota));
  const [refill, setRefill] = useState(limits?.quota_refill ?? '');
  const [failOpen, setFailOpen] = useState(limits?.fail_open ?? false);
  const text = (setter: (value: string) => void) => (e: Event) => setter((e.currentTarget as HTMLInputElement).value);
  return (
    <Dialog id={id} title={title} open={limits !== null} onClose={onClose}>
      <form onSubmit={(e) => { e.preventDefault(); onSave({ rate_limit: rate.trim() || null, quota: quota.trim() ? Number(quota) : null, quota_refill: refill.trim() || null, fail_open: failOpen }); }}>
        <label for={`${id}-rate`}>Rate limit <small>N/WINDOW, a fixed window, e.g. 100/1m; empty: none</small></label>
        <input id={`${id}-rate`} value={rate} onInput={text(setRate)} placeholder="100/1m" pattern="\d{1,10}/\d{0,9}[smhd]" />
        <label for={`${id}-quota`}>Quota <small>uses in all; empty: none</small></label>
        <input id={`${id}-quota`} value={quota} onInput={text(setQuota)} placeholder="10000" inputMode="numeric" pattern="\d{1,10}" />
        <label for={`${id}-refill`}>Quota refill <small>N/PERIOD, e.g. 10000/30d; empty: never</small></label>
        <input id={`${id}-refill`} value={refill} onInput={text(setRefill)} placeholder="10000/30d" pattern="\d{1,10}/\d{0,9}[smhd]" />
        <label><input type="checkbox" checked={failOpen} onChange={(e) => setFailOpen((e.currentTarget as HTMLInputElement).checked)} /> Let uses through uncounted while the limit store is down (fail open)</label>
        <p><small>A changed rate limit or quota starts a fresh count.</small></p>
        <ErrorNote error={error} />
        <div class="actions"><button type="button" onClick={onClose}>Cancel</button><button type="submit" class="primary">Save limits</button></div>
      </form>
    </Dialog>
  );
}
