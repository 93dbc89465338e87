import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';

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

/** Shows a secret once, with a copy button and the warning that it cannot be shown again. */
export function SecretDialog(props: { title: string; label: string; value: string | null; extra?: ComponentChildren; onClose: () => void }) {
  const [copied, setCopied] = useState(false);
  const copy = async () => {
    if (!props.value) return;
    try {
      await navigator.clipboard.writeText(props.value);
      setCopied(true);
    } catch {
      const input = document.getElementById('secret-value') as HTMLInputElement | null;
      input?.select();
    }
  };
  return (
    <Dialog id="secret-dialog" title={props.title} open={props.value !== null} onClose={() => { setCopied(false); props.onClose(); }}>
      <p class="warning" role="alert"><strong>Copy it now.</strong> Keymint keeps only a hash: this is the only time it can be shown.</p>
      <label for="secret-value">{props.label}</label>
      <div class="copy-row">
        <input id="secret-value" readOnly value={props.value ?? ''} onFocus={(e) => (e.currentTarget as HTMLInputElement).select()} spellcheck={false} />
        <button type="button" class="primary" onClick={copy}>{copied ? 'Copied' : 'Copy'}</button>
      </div>
      {props.extra}
      <div class="actions"><button type="button" onClick={() => { setCopied(false); props.onClose(); }}>I have stored it</button></div>
    </Dialog>
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
export function useLoad<T>(load: () => Promise<T>, deps: unknown[]): { data: T | null; error: string | null; reload: () => void } {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    load().then((value) => live && (setData(value), setError(null))).catch((failure) => live && setError(failure.message));
    return () => {
      live = false;
    };
  }, [...deps, tick]);
  return { data, error, reload: () => setTick((t) => t + 1) };
}
