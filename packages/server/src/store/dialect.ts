import { PostgresAdapter, type Kysely } from 'kysely';

/** The one place that asks which database is underneath; dialect quirks branch on it. */
export function isPostgres(db: Kysely<any>): boolean {
  return db.getExecutor().adapter instanceof PostgresAdapter;
}
