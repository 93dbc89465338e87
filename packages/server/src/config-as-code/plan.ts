import { isDeepStrictEqual } from 'node:util';
import { newTenantState } from './declare.js';
import type { AppState, TenantState, WebhookState } from './schema.js';

/**
 * One change apply makes, through the service that owns the resource (one audit entry each).
 * `fields` of an update: each changed field's value before and after, named as in the file.
 */
export type PlannedChange =
  | { action: 'create'; resource: 'tenant'; tenant: string; target: string; value: { name: string; signing_alg: string } }
  | { action: 'update'; resource: 'tenant' | 'settings' | 'end_users'; tenant: string; target: string; fields: FieldChanges }
  | { action: 'create'; resource: 'scope'; tenant: string; target: string; value: TenantState['scopes'][number] }
  | { action: 'update'; resource: 'scope'; tenant: string; target: string; fields: FieldChanges }
  | { action: 'create'; resource: 'app'; tenant: string; target: string; value: AppState }
  | { action: 'update'; resource: 'app'; tenant: string; target: string; fields: FieldChanges }
  /** An app missing from the file (only with prune), or marked disabled in it. */
  | { action: 'disable'; resource: 'app'; tenant: string; target: string; pruned: boolean }
  /** Webhooks: target is the URL of one to create, else the webhook's id; delete only with prune. */
  | { action: 'create'; resource: 'webhook'; tenant: string; target: string; value: WebhookState }
  | { action: 'update'; resource: 'webhook'; tenant: string; target: string; fields: FieldChanges }
  | { action: 'delete'; resource: 'webhook'; tenant: string; target: string; pruned: true };

export type FieldChanges = Record<string, { from: unknown; to: unknown }>;

export interface Plan {
  changes: PlannedChange[];
  /** Differences apply cannot make; with any, apply changes nothing. */
  refusals: string[];
}

/**
 * The changes that make `current` (tenants that exist, by slug) match `desired`, in the order
 * they can be made: a tenant, its settings, its catalog (scopes before the apps that use them),
 * its apps. Tenants absent from the file are left alone; apps absent from it are disabled only
 * with `prune`. Scopes are never removed (issued tokens and other apps name them) and disabled
 * apps are never re-enabled (disabling revoked their tokens: a new app is the way back).
 */
export function planChanges(current: ReadonlyMap<string, TenantState>, desired: readonly TenantState[], { prune }: { prune: boolean }): Plan {
  const changes: PlannedChange[] = [];
  const refusals: string[] = [];
  for (const want of desired) {
    let have = current.get(want.slug);
    if (!have) {
      changes.push({ action: 'create', resource: 'tenant', tenant: want.slug, target: want.slug, value: { name: want.name, signing_alg: want.settings.signing_alg } });
      have = newTenantState(want.slug, want.name, want.settings.signing_alg);
    }
    const tenant = want.slug;
    const renamed = diff({ name: have.name }, { name: want.name });
    if (renamed) changes.push({ action: 'update', resource: 'tenant', tenant, target: tenant, fields: renamed });
    const settings = diff(have.settings, want.settings);
    if (settings) changes.push({ action: 'update', resource: 'settings', tenant, target: tenant, fields: settings });
    const endUsers = diff(have.end_users, want.end_users);
    if (endUsers) changes.push({ action: 'update', resource: 'end_users', tenant, target: tenant, fields: endUsers });

    const scopes = new Map(have.scopes.map((s) => [s.name, s]));
    for (const scope of want.scopes) {
      const existing = scopes.get(scope.name);
      if (!existing) changes.push({ action: 'create', resource: 'scope', tenant, target: scope.name, value: scope });
      else {
        const fields = diff(existing, scope);
        if (fields) changes.push({ action: 'update', resource: 'scope', tenant, target: scope.name, fields });
      }
    }
    const catalog = new Set([...scopes.keys(), ...want.scopes.map((s) => s.name)]);

    const apps = new Map(have.apps.map((a) => [a.client_id, a]));
    for (const app of want.apps) {
      const unknown = app.scopes.filter((s) => !catalog.has(s));
      if (unknown.length > 0) refusals.push(`${tenant}: app ${app.client_id} names scope(s) not in the catalog: ${unknown.join(', ')}`);
      const existing = apps.get(app.client_id);
      if (!existing) {
        changes.push({ action: 'create', resource: 'app', tenant, target: app.client_id, value: app });
        continue;
      }
      const { status: wantStatus, ...wantFields } = app;
      const { status: haveStatus, ...haveFields } = existing;
      const fields = diff(haveFields, wantFields);
      if (fields) changes.push({ action: 'update', resource: 'app', tenant, target: app.client_id, fields });
      if (haveStatus === 'active' && wantStatus === 'disabled') changes.push({ action: 'disable', resource: 'app', tenant, target: app.client_id, pruned: false });
      if (haveStatus === 'disabled' && wantStatus === 'active') {
        refusals.push(`${tenant}: app ${app.client_id} is disabled and apply does not re-enable apps (disabling revoked its tokens); create a new app, or mark it "status": "disabled"`);
      }
    }
    if (prune) {
      const declared = new Set(want.apps.map((a) => a.client_id));
      for (const app of have.apps) {
        if (!declared.has(app.client_id) && app.status === 'active') changes.push({ action: 'disable', resource: 'app', tenant, target: app.client_id, pruned: true });
      }
    }
    changes.push(...planWebhooks(tenant, have.webhooks, want.webhooks, prune));
  }
  return { changes, refusals };
}

/**
 * A declared webhook is the existing one of its id, else the (not yet matched) one of its URL:
 * ids differ between installations, so a file exported elsewhere matches by URL.
 */
function planWebhooks(tenant: string, have: readonly WebhookState[], want: readonly WebhookState[], prune: boolean): PlannedChange[] {
  const changes: PlannedChange[] = [];
  const claimed = new Set(want.map((w) => w.id).filter((id) => have.some((h) => h.id === id)));
  const matched = new Set<string>();
  for (const hook of want) {
    const existing = have.find((h) => h.id === hook.id) ?? have.find((h) => h.url === hook.url && !claimed.has(h.id) && !matched.has(h.id!));
    if (!existing) {
      changes.push({ action: 'create', resource: 'webhook', tenant, target: hook.url, value: hook });
      continue;
    }
    matched.add(existing.id!);
    const fields = diff({ url: existing.url, events: existing.events }, { url: hook.url, events: hook.events });
    if (fields) changes.push({ action: 'update', resource: 'webhook', tenant, target: existing.id!, fields });
  }
  if (prune) {
    for (const hook of have) if (!matched.has(hook.id!)) changes.push({ action: 'delete', resource: 'webhook', tenant, target: hook.id!, pruned: true });
  }
  return changes;
}

/** The fields of `want` whose value differs from `have`'s; null when none do. */
function diff<T extends object>(have: T, want: T): FieldChanges | null {
  const fields: FieldChanges = {};
  for (const key of Object.keys(want) as (keyof T & string)[]) {
    if (!isDeepStrictEqual(have[key], want[key])) fields[key] = { from: have[key], to: want[key] };
  }
  return Object.keys(fields).length > 0 ? fields : null;
}

/** One line per change, for people (`keymint apply` without --json). */
export function describeChange(change: PlannedChange): string {
  const what = change.resource === 'tenant' ? `tenant ${change.tenant}`
    : change.resource === 'settings' ? `settings ${change.tenant}`
      : change.resource === 'end_users' ? `end-user settings ${change.tenant}`
        : `${change.resource} ${change.tenant}/${change.target}`;
  switch (change.action) {
    case 'create':
      return `+ create ${what}`;
    case 'disable':
      return `- disable ${what}${change.pruned ? ' (not in the file, --prune)' : ''}`;
    case 'delete':
      return `- delete ${what} (not in the file, --prune)`;
    case 'update':
      return `~ update ${what}: ${Object.entries(change.fields).map(([k, v]) => `${k} ${JSON.stringify(v.from)} → ${JSON.stringify(v.to)}`).join(', ')}`;
  }
}
