import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError } from './api';

/** A modal dialog (native <dialog>: focus trap, Esc to close, labelled by its title). */
export function Dialog(props: { title: string; open: boolean; onClose: () => void; children: ComponentChildren; id?: string }) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (props.open && !dialog.open) dialog.showModal();
    if (!props.open && dialog.open) dialog.close();
  }, [props.open]);
  const titleId = `${props.id ?? 'dialog'}-title`;
  return (
    <dialog ref={ref} id={props.id} aria-labelledby={titleId} onClose={props.onClose} onCancel={props.onClose}>
      <div class="dialog-head">
        <h2 id={titleId}>{props.title}</h2>
        <button type="button" class="icon" aria-label="Close" onClick={props.onClose}>×</button>
      </div>
      {props.open ? props.children : null}
    </dialog>
  );
}

/** Copies `value`; where the clipboard is refused, selects the input `id` for a manual copy. */
function useCopy(id: string, value: string | null): [boolean, () => Promise<void>, () => void] {
  const [copied, setCopied] = useState(false);
  const copy = async () => {
    if (!value) return;
    try {
      await navigator.clipboard.writeText(value);
      setCopied(true);
    } catch {
      (document.getElementById(id) as HTMLInputElement | null)?.select();
    }
  };
  return [copied, copy, () => setCopied(false)];
}

/** A read-only value with its own copy button (falls back to selecting the text). */
export function CopyField(props: { id: string; label: string; value: string }) {
  const [copied, copy] = useCopy(props.id, props.value);
  return (
    <>
      <label for={props.id}>{props.label}</label>
      <div class="copy-row">
        <input id={props.id} readOnly value={props.value} onFocus={(e) => (e.currentTarget as HTMLInputElement).select()} spellcheck={false} />
        <button type="button" aria-label={`Copy ${props.label.toLowerCase()}`} onClick={copy}>{copied ? 'Copied' : 'Copy'}</button>
      </div>
    </>
  );
}

/**
 * Shows a secret once, with the warning that it cannot be shown again; `before` and `after` hold
 * what the secret is used with (client id, token endpoint), each copyable too.
 */
export function SecretDialog(props: { title: string; label: string; value: string | null; before?: ComponentChildren; after?: ComponentChildren; onClose: () => void; warning?: ComponentChildren }) {
  const [copied, copy, reset] = useCopy('secret-value', props.value);
  const close = () => { reset(); props.onClose(); };
  return (
    <Dialog id="secret-dialog" title={props.title} open={props.value !== null} onClose={close}>
      <p class="warning" role="alert">{props.warning ?? <><strong>Copy it now.</strong> Keymint keeps only a hash: this is the only time it can be shown.</>}</p>
      {props.before}
      <label for="secret-value">{props.label}</label>
      <div class="copy-row">
        <input id="secret-value" readOnly value={props.value ?? ''} onFocus={(e) => (e.currentTarget as HTMLInputElement).select()} spellcheck={false} />
        <button type="button" class="primary" onClick={copy}>{copied ? 'Copied' : 'Copy'}</button>
      </div>
      {props.after}
      <div class="actions"><button type="button" onClick={close}>I have stored it</button></div>
    </Dialog>
  );
}

/** Where a client secret is used (RFC 6749 §3.2), copyable beside the secret. */
export function TokenEndpointField(props: { issuer: string }) {
  return <CopyField id="token-endpoint" label="Token endpoint" value={`${props.issuer}/oauth/token`} />;
}

/** A page for what does not exist (an unknown tenant or app), with the way back. */
export function NotFound(props: { title: string; children: ComponentChildren }) {
  return (
    <section aria-labelledby="page-title">
      <h1 id="page-title">{props.title}</h1>
      {props.children}
    </section>
  );
}

export function ErrorNote({ error }: { error: string | null }) {
  return error ? <p class="error" role="alert">{error}</p> : null;
}

export function Empty({ children }: { children: ComponentChildren }) {
  return <p class="empty">{children}</p>;
}

export function Badge({ value }: { value: string }) {
  return <span class={`badge badge-${value}`}>{value}</span>;
}

/** How close to its expiry a credential is marked: the default largest KEYMINT_EXPIRY_WARNING_DAYS threshold. */
const EXPIRING_SOON_MS = 30 * 86_400_000;

/** "expiring soon" beside an active secret or token that expires within 30 days (docs/leaked-credentials.md). */
export function ExpiringSoon({ status, expiresAt }: { status: string; expiresAt: string | null }) {
  if (status !== 'active' || expiresAt === null || Date.parse(expiresAt) - Date.now() > EXPIRING_SOON_MS) return null;
  return <span class="badge badge-expiring">expiring soon</span>;
}

/** Runs an async action, keeping its error message for display. */
export function useAction(): [string | null, (run: () => Promise<unknown>) => Promise<void>, (message: string | null) => void] {
  const [error, setError] = useState<string | null>(null);
  const run = async (action: () => Promise<unknown>) => {
    setError(null);
    try {
      await action();
    } catch (failure) {
      setError(failure instanceof Error ? failure.message : String(failure));
    }
  };
  return [error, run, setError];
}

/** Loads data for a page and reloads on demand. */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[]): { data: T | null; error: string | null; missing: boolean; reload: () => void } {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [missing, setMissing] = useState(false);
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    load().then((value) => live && (setData(value), setError(null), setMissing(false))).catch((failure) => {
      if (!live) return;
      setError(failure.message);
      setMissing(failure instanceof ApiError && failure.status === 404);
    });
    return () => {
      live = false;
    };
  }, [...deps, tick]);
  return { data, error, missing, reload: () => setTick((t) => t + 1) };
}
