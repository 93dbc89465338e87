import pg from 'pg';
import { randomLowerAlnum } from '../crypto/random.js';

/** The server tests use to make throwaway databases (trust auth on this machine). */
export const TEST_POSTGRES_URL = process.env.KEYMINT_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** Which database the integration tests run on: `KEYMINT_TEST_DATABASE=postgres` switches them all. */
export const TEST_DATABASE: 'sqlite' | 'postgres' = process.env.KEYMINT_TEST_DATABASE === 'postgres' ? 'postgres' : 'sqlite';

export interface ThrowawayDatabase {
  url: string;
  drop(): Promise<void>;
}

/** A fresh, empty PostgreSQL database; `drop()` removes it (closing any connection left). */
export async function createPostgresDatabase(): Promise<ThrowawayDatabase> {
  const name = `keymint_test_${randomLowerAlnum(12)}`;
  const admin = new pg.Client({ connectionString: TEST_POSTGRES_URL });
  await admin.connect();
  try {
    await admin.query(`create database ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(TEST_POSTGRES_URL);
  url.pathname = `/${name}`;
  return {
    url: url.href,
    async drop() {
      const client = new pg.Client({ connectionString: TEST_POSTGRES_URL });
      await client.connect();
      try {
        await client.query(`drop database if exists ${name} with (force)`);
      } finally {
        await client.end();
      }
    },
  };
}
