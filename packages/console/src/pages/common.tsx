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

/** The admin API's `limits` body with every field given (null: no such limit). */
export interface LimitsInput { rate_limit: string | null; quota: number | null; quota_refill: string | null; fail_open: boolean }

/** What the limit fields hold while being edited: text as typed. */
export interface LimitsDraft { rate: string; quota: string; refill: string; failOpen: boolean }

export const limitsDraftOf = (limits: C.Limits | null): LimitsDraft => ({
  rate: limits?.rate_limit ?? '',
  quota: limits === null || limits.quota === null ? '' : String(limits.quota),
  refill: limits?.quota_refill ?? '',
  failOpen: limits?.fail_open ?? false,
});

/** Empty fields are no limit (null). */
export const limitsOfDraft = (draft: LimitsDraft): LimitsInput => ({
  rate_limit: draft.rate.trim() || null, quota: draft.quota.trim() ? Number(draft.quota) : null, quota_refill: draft.refill.trim() || null, fail_open: draft.failOpen,
});

/** A create form's `limits`: only when the form sets one, so a key made without limits is created exactly as before. */
export function limitsToCreate(draft: LimitsDraft): { limits?: LimitsInput } {
  const limits = limitsOfDraft(draft);
  return limits.rate_limit === null && limits.quota === null && limits.quota_refill === null && !limits.fail_open ? {} : { limits };
}

/**
 * The four limit fields (docs/gateway.md): rate limit, quota, quota refill, fail open or closed.
 * Shared by the create forms (apps, API tokens) and the Limits dialog, so both read the same.
 */
export function LimitFields({ id, draft, onChange }: { id: string; draft: LimitsDraft; onChange: (draft: LimitsDraft) => void }) {
  const text = (field: 'rate' | 'quota' | 'refill') => (e: Event) => onChange({ ...draft, [field]: (e.currentTarget as HTMLInputElement).value });
  return (
    <>
      <label for={`${id}-rate`}>Rate limit <small>N/WINDOW, a fixed window, e.g. 100/1m; empty: none</small></label>
      <input id={`${id}-rate`} value={draft.rate} onInput={text('rate')} placeholder="100/1m" pattern="\d{1,10}/\d{0,9}[smhd]" />
      <label for={`${id}-quota`}>Quota <small>uses in all; empty: none</small></label>
      <input id={`${id}-quota`} value={draft.quota} onInput={text('quota')} placeholder="10000" inputMode="numeric" pattern="\d{1,10}" />
      <label for={`${id}-refill`}>Quota refill <small>N/PERIOD, e.g. 10000/30d; empty: never</small></label>
      <input id={`${id}-refill`} value={draft.refill} onInput={text('refill')} placeholder="10000/30d" pattern="\d{1,10}/\d{0,9}[smhd]" />
      <label><input type="checkbox" checked={draft.failOpen} onChange={(e) => onChange({ ...draft, failOpen: (e.currentTarget as HTMLInputElement).checked })} /> Let uses through uncounted while the limit store is down (fail open)</label>
    </>
  );
}

/**
 * Edits a key's limits (docs/gateway.md): empty fields remove a limit; `save` sends the admin
 * API's `limits` body (PATCH …/api-tokens/:id or …/apps/:client_id).
 */
export function LimitsDialog({ id, title, limits, error, onSave, onClose }: {
  id: string; title: string; limits: C.Limits | null; error: string | null;
  onSave: (limits: LimitsInput) => void; onClose: () => void;
}) {
  const [draft, setDraft] = useState(() => limitsDraftOf(limits));
  return (
    <Dialog id={id} title={title} open={limits !== null} onClose={onClose}>
      <form onSubmit={(e) => { e.preventDefault(); onSave(limitsOfDraft(draft)); }}>
        <LimitFields id={id} draft={draft} onChange={setDraft} />
        <p><small>A changed rate limit or quota starts a fresh count.</small></p>
        <ErrorNote error={error} />
        <div class="actions"><button type="button" onClick={onClose}>Cancel</button><button type="submit" class="primary">Save limits</button></div>
      </form>
    </Dialog>
  );
}
