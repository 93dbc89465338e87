/**
 * True when an error means the database cannot serve right now (refused, reset, timed out,
 * shutting down, out of connections, read-only, not accepting connections, a locked SQLite
 * file) rather than a bug or a bad query. The one error path turns these into 503
 * temporarily_unavailable with Retry-After, so a database outage is a burst of 503s a client
 * retries, never a storm of 500s (docs/operations.md "Database outage").
 *
 * PostgreSQL errors are classified by SQLSTATE class (Appendix A of its manual), not by message,
 * so a condition nobody listed by hand (a new kind of shutdown, a disk full) is still an outage:
 * - class 08 connection exception, 53 insufficient resources (too many connections, disk full,
 *   out of memory), 57P admin/crash shutdown, cannot connect now, database dropped, idle timeout,
 *   58 system error (I/O);
 * - 25006 read-only transaction (a replica promoted late, `default_transaction_read_only`, a
 *   database in recovery);
 * - any error PostgreSQL sends with severity FATAL or PANIC: it ends the session, so whatever its
 *   code (55000 "database is not currently accepting connections", 28000 when a role is locked
 *   out during maintenance) the connection is gone, not the query wrong.
 * Errors raised by the client before PostgreSQL answered carry node's errno codes or, for
 * node-postgres' own pool and connection failures, only a message.
 */
export function isDatabaseUnavailable(error: unknown, depth = 0): boolean {
  // Bounded: an error's cause chain (or AggregateError list) could loop back on itself.
  if (!error || typeof error !== 'object' || depth > 5) return false;
  const e = error as { code?: unknown; message?: unknown; errors?: unknown; severity?: unknown; cause?: unknown };
  if (Array.isArray(e.errors) && e.errors.some((inner) => isDatabaseUnavailable(inner, depth + 1))) return true;
  if (e.cause !== undefined && isDatabaseUnavailable(e.cause, depth + 1)) return true;
  const code = typeof e.code === 'string' ? e.code : '';
  if (NETWORK_CODES.has(code)) return true;
  if (/^[0-9A-Z]{5}$/.test(code) && isUnavailableSqlState(code, e.severity)) return true;
  // better-sqlite3: SQLITE_BUSY / SQLITE_LOCKED and their extended codes (SQLITE_BUSY_SNAPSHOT…)
  // once busy_timeout has run out; I/O errors, a full disk, a file that cannot be opened.
  if (/^SQLITE_(BUSY|LOCKED|IOERR|FULL|CANTOPEN|PROTOCOL)/.test(code)) return true;
  const message = typeof e.message === 'string' ? e.message : '';
  return CLIENT_MESSAGES.test(message);
}

export function isUnavailableSqlState(code: string, severity?: unknown): boolean {
  if (severity === 'FATAL' || severity === 'PANIC') return true;
  const sqlClass = code.slice(0, 2);
  return sqlClass === '08' || sqlClass === '53' || sqlClass === '58' || code.startsWith('57P') || code === '25006';
}

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNABORTED', 'EHOSTDOWN', 'ENETDOWN']);

/** node-postgres failures that carry no code: pool checkout timeout, a socket closed under a query. */
const CLIENT_MESSAGES = /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Connection refused|Client was closed and is not queryable|the database system is (starting up|shutting down|in recovery mode)/i;
