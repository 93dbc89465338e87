import { useState } from 'preact/hooks';
import { api, when } from '../api';
import type * as C from '../contract';
import { Badge, ErrorNote, useAction, useLoad } from '../ui';
import type { PageProps } from './common';

/** Signing keys as a timeline: next → current → retired; rotate. */
export function KeysPage({ tenant, canWrite }: PageProps) {
  const keys = useLoad(() => api<C.KeyList>('GET', `/tenants/${tenant}/keys`), [tenant]);
  const [note, setNote] = useState<string | null>(null);
  const [error, run] = useAction();
  const order: Record<string, number> = { next: 0, current: 1, retired: 2 };
  const list = [...(keys.data?.keys ?? [])].sort((a, b) => order[a.state]! - order[b.state]! || Date.parse(b.created_at) - Date.parse(a.created_at));
  return (
    <section aria-labelledby="page-title">
      <div class="page-head">
        <h1 id="page-title">Signing keys</h1>
        {canWrite ? <button type="button" class="primary" onClick={() => run(async () => {
          const result = await api<C.Rotation>('POST', `/tenants/${tenant}/keys/rotate`);
          setNote(result.promoted ? `Key ${result.promoted} signs from now on; ${result.next.kid} is published as next.` : `Key ${result.next.kid} will sign from ${when(result.next.activates_at)}, once every verifier can have fetched it.`);
          keys.reload();
        })}>Rotate now</button> : null}
      </div>
      <p class="lead">Published at <a href={`/t/${tenant}/.well-known/jwks.json`}>/t/{tenant}/.well-known/jwks.json</a>. A key is published before it signs and stays published until the last token it signed has expired.</p>
      <ErrorNote error={error ?? keys.error} />
      {note ? <p class="note" role="status">{note}</p> : null}
      <ol class="timeline">
        {list.map((k) => (
          <li key={k.kid} class={`key key-${k.state}`}>
            <div class="key-state"><Badge value={k.state} /></div>
            <div>
              <p><code class="kid">{k.kid}</code> <small>{k.alg}</small></p>
              <p class="meta">
                created {when(k.created_at)}
                {k.state === 'next' && k.activated_at ? ` · signs from ${when(k.activated_at)}` : ''}
                {k.state === 'current' ? ` · signing since ${when(k.activated_at)}` : ''}
                {k.state === 'retired' ? ` · retired ${when(k.retired_at)} · removed after ${when(k.remove_after)}` : ''}
              </p>
            </div>
          </li>
        ))}
      </ol>
    </section>
  );
}
