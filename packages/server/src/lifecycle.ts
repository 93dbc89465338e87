import type { Logger } from 'pino';
import type { Services } from './services.js';
import type { Jobs } from './jobs.js';

type Batched = Pick<Services, 'apps' | 'apiTokens' | 'audit' | 'usage'>;

/** Writes batched in memory (last-used times, audit entries, usage counts) now. */
export async function flushBatches({ apps, apiTokens, audit, usage }: Batched): Promise<void> {
  await Promise.all([apps.flushLastUsed(), apiTokens.flushLastUsed(), audit.flush(), usage.flush()]);
}

export interface CloseOptions {
  services: Batched & Pick<Services, 'bearer' | 'users' | 'attempts' | 'replay' | 'redis'>;
  /** The background jobs of a server; null for CLI commands, which start none. */
  jobs: Jobs | null;
  closeDb: () => Promise<void>;
  log: Logger;
}

/**
 * Closes a Keymint process in the one safe order: stop taking in changes and running jobs, end
 * the services' own timers, write every batch while the database is still open, then close
 * the connections (Redis, then the database pool). A flush that fails is logged, never thrown:
 * the pools must still close.
 */
export async function closeKeymint({ services, jobs, closeDb, log }: CloseOptions): Promise<void> {
  const { bearer, users, attempts, replay, redis } = services;
  // The change feed only runs with the jobs (servers): stopping them stops it.
  await jobs?.stop();
  bearer.close();
  users.close();
  await flushBatches(services).catch((error) => log.error({ err: error }, 'flush on close failed'));
  await attempts.close();
  await replay.close();
  if (redis) await (redis.status === 'wait' ? redis.disconnect() : redis.quit().catch(() => redis.disconnect()));
  await closeDb();
}
