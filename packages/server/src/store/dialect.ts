import { PostgresAdapter, type Kysely } from 'kysely';

/**
 * A Kysely handle without the schema type. Migrations run against the schema as it was at their
 * point in history, not today's `Database`, so they take this (the pattern Kysely documents for
 * migrations). The one sanctioned explicit `any` in the server.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type UntypedDb = Kysely<any>;

/** The one place that asks which database is underneath; dialect quirks branch on it. */
export function isPostgres(db: UntypedDb): boolean {
  return db.getExecutor().adapter instanceof PostgresAdapter;
}
