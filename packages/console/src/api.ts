/** The admin API (/admin/v1) from the console: session cookie + X-CSRF-Token on writes. */
let csrf: string | null = null;

export class ApiError extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
  }
}

export function setCsrf(token: string | null): void {
  csrf = token;
}

/** The envelope every admin API error has (RFC 6749-style error + error_description). */
interface ErrorEnvelope {
  error?: string;
  error_description?: string;
  csrf_token?: unknown;
}

/**
 * One admin API call. `T` is the response's type from ./contract (the server's own schemas);
 * calls that answer 204 use `void`.
 */
export async function api<T = void>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && csrf) headers['x-csrf-token'] = csrf;
  const response = await fetch(`/admin/v1${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: 'same-origin' });
  if (response.status === 204) return undefined as T;
  const data = (await response.json().catch(() => ({}))) as ErrorEnvelope;
  if (!response.ok) {
    const retry = response.headers.get('retry-after');
    const message = (data.error_description ?? `request failed (${response.status})`) + (retry ? ` Try again in ${retry} s.` : '');
    throw new ApiError(response.status, data.error ?? 'error', message);
  }
  if (typeof data.csrf_token === 'string') csrf = data.csrf_token;
  return data as unknown as T;
}

/** The one date format of every page: the browser's locale, date and minutes. */
export const when = (iso: string | null): string => (iso ? new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' }) : '—');
export const ago = (iso: string | null): string => {
  if (!iso) return 'never';
  const seconds = Math.round((Date.now() - Date.parse(iso)) / 1000);
  if (seconds < 60) return 'just now';
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ago`;
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)} h ago`;
  return `${Math.floor(seconds / 86_400)} d ago`;
};
