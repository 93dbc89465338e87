import pg from 'pg';
import type { Logger } from 'pino';
import { CHANGE_CHANNEL, type ChangeFeed } from './change-log.js';

/**
 * A dedicated PostgreSQL connection LISTENing on the change channel: every committed change
 * wakes this node's change-log poll at once, so caches on every node follow a write within
 * milliseconds instead of a poll interval. A pooled connection cannot LISTEN (it is handed to
 * other queries), hence a client of its own. When it drops it reconnects with backoff and polls
 * once, since notifications sent meanwhile are lost; the poll timer covers the gap either way.
 */
export class ChangeListener {
  private client: pg.Client | null = null;
  private stopped = false;
  private retryTimer: NodeJS.Timeout | null = null;
  private attempt = 0;
  private connected = false;

  constructor(
    private readonly url: string,
    private readonly feed: ChangeFeed,
    private readonly log: Logger,
  ) {}

  get listening(): boolean {
    return this.connected;
  }

  async start(): Promise<void> {
    await this.connect();
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    const client = new pg.Client({ connectionString: this.url, keepAlive: true });
    this.client = client;
    client.on('notification', () => this.feed.wake());
    client.on('error', (error) => {
      this.log.warn({ err: error }, 'change listener connection lost; reconnecting');
      this.dropped(client);
    });
    client.on('end', () => this.dropped(client));
    try {
      await client.connect();
      await client.query(`listen ${CHANGE_CHANNEL}`);
      this.connected = true;
      if (this.attempt > 0) this.log.info('change listener reconnected');
      this.attempt = 0;
      // Anything committed while we were not listening is read now.
      this.feed.wake();
    } catch (error) {
      this.log.warn({ err: error }, 'change listener could not connect; retrying');
      this.dropped(client);
    }
  }

  private dropped(client: pg.Client): void {
    if (this.client !== client) return;
    this.client = null;
    this.connected = false;
    client.removeAllListeners('end');
    client.on('error', () => {});
    client.end().catch(() => {});
    if (this.stopped) return;
    const delay = Math.min(5_000, 100 * 2 ** this.attempt++);
    this.retryTimer = setTimeout(() => void this.connect(), delay);
    this.retryTimer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    const client = this.client;
    this.client = null;
    this.connected = false;
    if (client) {
      client.removeAllListeners('end');
      client.on('error', () => {});
      await client.end().catch(() => {});
    }
  }
}
