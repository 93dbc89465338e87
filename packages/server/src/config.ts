import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { parse as parseDotenv } from 'dotenv';
import type { SignInLimits, SignUpLimits } from './attempts/sign-in.js';
import { decodeMasterKey } from './crypto/master-key.js';
import { parseGitHubKeys, type GitHubScanningKey } from './leaks/github-keys.js';

export type DatabaseLocation =
  | { kind: 'sqlite'; path: string; url: string }
  | { kind: 'postgres'; url: string };

export interface Config {
  readonly host: string;
  readonly port: number;
  /** Explicit KEYMINT_PUBLIC_URL; when null the listen address is used once it is known. */
  readonly publicUrl: string | null;
  readonly dataDir: string;
  /**
   * KEYMINT_DATA_DIR or KEYMINT_DATABASE_URL was given (environment or .env). Without either the
   * CLI only works where `./data/keymint.db` already exists, so run from the wrong folder it
   * refuses instead of starting a second installation there.
   */
  readonly installationGiven: boolean;
  readonly database: DatabaseLocation;
  /** From KEYMINT_MASTER_KEY; when null the key lives in `{dataDir}/master.key`. */
  readonly masterKey: Buffer | null;
  /** KEYMINT_MASTER_KEY_PREVIOUS: older keys that still open (never seal); empty without it. */
  readonly masterKeyPrevious: readonly Buffer[];
  readonly masterKeyFile: string;
  readonly redisUrl: string | null;
  readonly logLevel: string;
  /** Seconds verifiers may cache the JWKS; key rotation publishes the next key at least this long before use. */
  readonly jwksMaxAgeSeconds: number;
  /** How often a node polls the change log for writes made elsewhere (CLI, other nodes). */
  readonly changePollMs: number;
  /** Days a signing key signs before automatic rotation (KEYMINT_KEY_ROTATION_DAYS); 0 turns it off. */
  readonly keyRotationDays: number;
  /** How often signing keys are checked for promotion, rotation and removal. */
  readonly keyCheckIntervalSeconds: number;
  /** How often expired opaque tokens and spent revocations are deleted (KEYMINT_PURGE_INTERVAL). */
  readonly purgeIntervalSeconds: number;
  /** Failed client authentications allowed per window, per client_id and per IP (docs/credential-lifecycle.md). */
  readonly authFailureWindowSeconds: number;
  readonly authFailuresPerClient: number;
  readonly authFailuresPerIp: number;
  /**
   * Where the signed-request profile remembers used signature_values: `memory` (one node),
   * `database` or `redis` (shared by every node). From KEYMINT_REPLAY_STORE; default redis when
   * KEYMINT_REDIS_URL is set, else database on PostgreSQL (several nodes share it), else memory.
   */
  readonly replayStore: ReplayStoreKind;
  /** Whether KEYMINT_REPLAY_STORE was set (a chosen memory store and `--workers` above 1 refuse to start). */
  readonly replayStoreChosen: boolean;
  /**
   * RFC 9449 §8: whether the token endpoint demands server nonces in DPoP proofs
   * (KEYMINT_DPOP_NONCE=on|off, default off). Nonces are an HMAC of a one-minute time bucket
   * under a key derived from the master key, so every node issues and accepts the same ones.
   */
  readonly dpopNonce: boolean;
  /**
   * Where end users' one-time sign-in codes are mailed (KEYMINT_SMTP_URL, e.g.
   * smtp://user:pass@mail.example.com:587 or smtps://…:465) and from whom (KEYMINT_SMTP_FROM).
   * Null: development mode, the code is written to the server log (docs/end-users.md).
   */
  readonly smtp: { readonly url: string; readonly from: string } | null;
  /**
   * Operations (docs/operations.md). Seconds a node keeps serving from its caches after it lost
   * the database (KEYMINT_OUTAGE_GRACE; 0: refuse at once); revocations made meanwhile are unseen.
   */
  readonly outageGraceSeconds: number;
  /** Seconds between full cache refreshes, the safety net behind the change feed (KEYMINT_CACHE_REFRESH). */
  readonly cacheRefreshSeconds: number;
  /** Hours change_log rows are kept before pruning (KEYMINT_CHANGE_LOG_RETENTION_HOURS). */
  readonly changeLogRetentionHours: number;
  /** Seconds SIGTERM waits for in-flight requests before closing anyway (KEYMINT_SHUTDOWN_TIMEOUT). */
  readonly shutdownTimeoutSeconds: number;
  /**
   * Which proxies to trust for X-Forwarded-For / -Proto (KEYMINT_TRUST_PROXY): false (default),
   * true (every hop), a hop count, or a comma-separated list of addresses/CIDRs (Fastify trustProxy).
   */
  readonly trustProxy: boolean | number | string;
  /**
   * Connection timeouts in seconds (docs/operations.md "Connection timeouts"): a socket with no
   * traffic for `idle` is closed (KEYMINT_IDLE_TIMEOUT), a keep-alive socket waits `keepAlive`
   * for the next request (KEYMINT_KEEP_ALIVE_TIMEOUT), request headers must all arrive within
   * `headers` (KEYMINT_HEADERS_TIMEOUT) and the whole request, body included, within `request`
   * (KEYMINT_REQUEST_TIMEOUT).
   */
  readonly timeouts: { readonly idle: number; readonly keepAlive: number; readonly headers: number; readonly request: number };
  /** Seconds a console session survives without a request (KEYMINT_ADMIN_SESSION_IDLE_TIMEOUT, docs/admin.md). */
  readonly adminSessionIdleTimeoutSeconds: number;
  /** Prefix of every Redis key Keymint writes (KEYMINT_REDIS_PREFIX): attempt budgets, replay values. */
  readonly redisPrefix: string;
  /** End users' password and code budgets (KEYMINT_SIGNIN_*; docs/security.md "Attempt budgets"). */
  readonly signIn: SignInLimits;
  /** Admin accounts' password budgets (KEYMINT_ADMIN_SIGNIN_*). */
  readonly adminSignIn: SignInLimits;
  /** End-user sign-ups per address and tenant (KEYMINT_SIGNUPS_PER_ADDRESS, KEYMINT_SIGNUP_WINDOW). */
  readonly signUp: SignUpLimits;
  /**
   * Leaked credentials (docs/leaked-credentials.md): the keys GitHub signs secret-scanning reports
   * with, read from the file KEYMINT_GITHUB_SECRET_SCANNING_KEYS (null: fetched from GitHub);
   * reports accepted per address per minute on `/leaks/github` (KEYMINT_GITHUB_LEAK_REPORTS_PER_MINUTE)
   * and on `/v1/credentials/revoke` (KEYMINT_PUBLIC_REVOKE_PER_MINUTE).
   */
  readonly leaks: {
    readonly githubKeys: readonly GitHubScanningKey[] | null;
    readonly githubReportsPerMinute: number;
    readonly publicRevokesPerMinute: number;
  };
  /** Days before expiry a client secret, API token or admin token is announced (KEYMINT_EXPIRY_WARNING_DAYS), largest first; empty: never. */
  readonly expiryWarningDays: readonly number[];
  /** Seconds between checks for coming expiries (KEYMINT_EXPIRY_CHECK_INTERVAL). */
  readonly expiryCheckIntervalSeconds: number;
  /** Webhook delivery (docs/webhooks.md): KEYMINT_WEBHOOK_* settings. */
  readonly webhooks: WebhookConfig;
  /**
   * OpenTelemetry traces (docs/operations.md "Tracing"): where spans are sent over OTLP/HTTP, from
   * OTEL_EXPORTER_OTLP_TRACES_ENDPOINT as is or OTEL_EXPORTER_OTLP_ENDPOINT + `/v1/traces`, and the
   * service name (OTEL_SERVICE_NAME, default keymint). Null: no tracing, the SDK is never loaded.
   */
  readonly tracing: { readonly tracesUrl: string; readonly serviceName: string } | null;
}

export interface WebhookConfig {
  /** KEYMINT_WEBHOOK_ALLOW_PRIVATE_NETWORKS: targets on private, loopback… addresses and plain http allowed. */
  readonly allowPrivateNetworks: boolean;
  /** KEYMINT_WEBHOOK_TIMEOUT (seconds): one attempt, response included; connecting gets at most 5 s of it. */
  readonly timeoutSeconds: number;
  /** KEYMINT_WEBHOOK_RETRY_SCHEDULE: seconds before each retry; once spent, the delivery fails. */
  readonly retrySeconds: readonly number[];
}

/**
 * Standard Webhooks' suggested schedule, its first step shortened so the first retry leaves within
 * 5 s of the failure on a 1 s delivery tick: 3 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h (about 27.6 hours in all).
 */
export const DEFAULT_WEBHOOK_RETRY_SECONDS: readonly number[] = Object.freeze([3, 300, 1800, 7200, 18_000, 36_000, 36_000]);

export const REPLAY_STORES = ['memory', 'database', 'redis'] as const;
export type ReplayStoreKind = (typeof REPLAY_STORES)[number];

/** A bad setting: the message names the variable and what was expected. */
export class ConfigError extends Error {
  override name = 'ConfigError';
  constructor(readonly setting: string, expected: string, got?: string) {
    super(`${setting}: expected ${expected}${got === undefined ? '' : `, got ${JSON.stringify(got)}`}`);
  }
}

/** Flags given on the command line; they win over the environment. */
export interface ConfigFlags {
  port?: string | number;
  host?: string;
}

export interface ConfigSources {
  env?: NodeJS.ProcessEnv;
  flags?: ConfigFlags;
  cwd?: string;
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/**
 * Reads the environment, a `.env` file in the working directory (the environment wins) and
 * flags (they win over both), validates every value and returns a frozen Config.
 */
export function loadConfig({ env = process.env, flags = {}, cwd = process.cwd() }: ConfigSources = {}): Config {
  const dotenvPath = resolve(cwd, '.env');
  const fromFile = existsSync(dotenvPath) ? parseDotenv(readFileSync(dotenvPath)) : {};
  const get = (name: string): string | undefined => {
    const value = env[name] ?? fromFile[name];
    return value === undefined || value === '' ? undefined : value;
  };

  const host = flags.host ?? get('HOST') ?? '127.0.0.1';
  const port = parsePort(flags.port !== undefined ? String(flags.port) : get('PORT'), flags.port !== undefined ? '--port' : 'PORT');
  const dataDir = resolve(cwd, get('KEYMINT_DATA_DIR') ?? './data');

  const publicUrlText = get('KEYMINT_PUBLIC_URL');
  const publicUrl = publicUrlText === undefined ? null : parsePublicUrl(publicUrlText);

  const databaseText = get('KEYMINT_DATABASE_URL');
  const database = databaseText === undefined
    ? sqliteAt(resolve(dataDir, 'keymint.db'))
    : parseDatabaseUrl(databaseText, cwd);

  const masterKeyText = get('KEYMINT_MASTER_KEY');
  let masterKey: Buffer | null = null;
  if (masterKeyText !== undefined) {
    masterKey = decodeMasterKey(masterKeyText);
    if (!masterKey) throw new ConfigError('KEYMINT_MASTER_KEY', '32 bytes encoded as base64url (43 characters)');
  }
  const previousText = get('KEYMINT_MASTER_KEY_PREVIOUS');
  const masterKeyPrevious: Buffer[] = [];
  if (previousText !== undefined) {
    if (!masterKey) throw new ConfigError('KEYMINT_MASTER_KEY_PREVIOUS', 'KEYMINT_MASTER_KEY to be set too (previous keys only open; the file-based key keeps its retired keys as files)');
    for (const [index, item] of previousText.split(',').map((k) => k.trim()).filter(Boolean).entries()) {
      const key = decodeMasterKey(item);
      if (!key) throw new ConfigError('KEYMINT_MASTER_KEY_PREVIOUS', `comma-separated 32-byte base64url keys (entry ${index + 1} is not one)`);
      masterKeyPrevious.push(key);
    }
  }

  const redisText = get('KEYMINT_REDIS_URL');
  if (redisText !== undefined && !/^rediss?:\/\/./.test(redisText)) {
    throw new ConfigError('KEYMINT_REDIS_URL', 'a redis:// or rediss:// URL', redisText);
  }

  const logLevel = get('KEYMINT_LOG_LEVEL') ?? 'info';
  if (!LOG_LEVELS.includes(logLevel)) throw new ConfigError('KEYMINT_LOG_LEVEL', `one of ${LOG_LEVELS.join(', ')}`, logLevel);

  const replayText = get('KEYMINT_REPLAY_STORE') ?? (redisText !== undefined ? 'redis' : database.kind === 'postgres' ? 'database' : 'memory');
  if (!(REPLAY_STORES as readonly string[]).includes(replayText)) {
    throw new ConfigError('KEYMINT_REPLAY_STORE', `one of ${REPLAY_STORES.join(', ')}`, replayText);
  }
  if (replayText === 'redis' && redisText === undefined) throw new ConfigError('KEYMINT_REDIS_URL', 'a redis:// URL when KEYMINT_REPLAY_STORE=redis');

  const smtpText = get('KEYMINT_SMTP_URL');
  if (smtpText !== undefined && !/^smtps?:\/\/[^/]/.test(smtpText)) throw new ConfigError('KEYMINT_SMTP_URL', 'an smtp:// or smtps:// URL', redactUrl(smtpText));
  const smtpFrom = get('KEYMINT_SMTP_FROM') ?? 'Keymint <no-reply@localhost>';
  if (!/^[^\r\n]*@[^\r\n]*$/.test(smtpFrom)) throw new ConfigError('KEYMINT_SMTP_FROM', 'a sender address such as "Acme <no-reply@acme.example>"', smtpFrom);

  return Object.freeze({
    host,
    port,
    publicUrl,
    dataDir,
    installationGiven: get('KEYMINT_DATA_DIR') !== undefined || databaseText !== undefined,
    database,
    masterKey,
    masterKeyPrevious: Object.freeze(masterKeyPrevious),
    masterKeyFile: resolve(dataDir, 'master.key'),
    redisUrl: redisText ?? null,
    logLevel,
    jwksMaxAgeSeconds: parseInteger(get('KEYMINT_JWKS_MAX_AGE'), 'KEYMINT_JWKS_MAX_AGE', 300, 0, 86_400),
    changePollMs: parseInteger(get('KEYMINT_CHANGE_POLL_MS'), 'KEYMINT_CHANGE_POLL_MS', 250, 10, 60_000),
    keyRotationDays: parseInteger(get('KEYMINT_KEY_ROTATION_DAYS'), 'KEYMINT_KEY_ROTATION_DAYS', 90, 0, 3650),
    keyCheckIntervalSeconds: parseInteger(get('KEYMINT_KEY_CHECK_INTERVAL'), 'KEYMINT_KEY_CHECK_INTERVAL', 60, 1, 86_400),
    purgeIntervalSeconds: parseInteger(get('KEYMINT_PURGE_INTERVAL'), 'KEYMINT_PURGE_INTERVAL', 300, 1, 86_400),
    authFailureWindowSeconds: parseInteger(get('KEYMINT_AUTH_FAILURE_WINDOW'), 'KEYMINT_AUTH_FAILURE_WINDOW', 60, 1, 86_400),
    authFailuresPerClient: parseInteger(get('KEYMINT_AUTH_FAILURES_PER_CLIENT'), 'KEYMINT_AUTH_FAILURES_PER_CLIENT', 20, 1, 1_000_000),
    authFailuresPerIp: parseInteger(get('KEYMINT_AUTH_FAILURES_PER_IP'), 'KEYMINT_AUTH_FAILURES_PER_IP', 50, 1, 1_000_000),
    replayStore: replayText as ReplayStoreKind,
    replayStoreChosen: get('KEYMINT_REPLAY_STORE') !== undefined,
    dpopNonce: parseOnOff(get('KEYMINT_DPOP_NONCE'), 'KEYMINT_DPOP_NONCE'),
    smtp: smtpText === undefined ? null : Object.freeze({ url: smtpText, from: smtpFrom }),
    outageGraceSeconds: parseInteger(get('KEYMINT_OUTAGE_GRACE'), 'KEYMINT_OUTAGE_GRACE', 120, 0, 86_400),
    cacheRefreshSeconds: parseInteger(get('KEYMINT_CACHE_REFRESH'), 'KEYMINT_CACHE_REFRESH', 300, 1, 86_400),
    changeLogRetentionHours: parseInteger(get('KEYMINT_CHANGE_LOG_RETENTION_HOURS'), 'KEYMINT_CHANGE_LOG_RETENTION_HOURS', 24, 1, 8760),
    shutdownTimeoutSeconds: parseInteger(get('KEYMINT_SHUTDOWN_TIMEOUT'), 'KEYMINT_SHUTDOWN_TIMEOUT', 25, 1, 3600),
    trustProxy: parseTrustProxy(get('KEYMINT_TRUST_PROXY')),
    timeouts: parseTimeouts(get),
    adminSessionIdleTimeoutSeconds: parseInteger(get('KEYMINT_ADMIN_SESSION_IDLE_TIMEOUT'), 'KEYMINT_ADMIN_SESSION_IDLE_TIMEOUT', 1800, 60, 12 * 3600),
    redisPrefix: parseRedisPrefix(get('KEYMINT_REDIS_PREFIX')),
    signIn: parseSignInLimits(get, {
      windowSeconds: ['KEYMINT_SIGNIN_WINDOW', 60],
      perAccountAddress: ['KEYMINT_SIGNIN_FAILURES_PER_ACCOUNT_ADDRESS', 20],
      perAccount: ['KEYMINT_SIGNIN_FAILURES_PER_ACCOUNT', 100],
      perAddress: ['KEYMINT_SIGNIN_FAILURES_PER_ADDRESS', 50],
    }),
    adminSignIn: parseSignInLimits(get, {
      windowSeconds: ['KEYMINT_ADMIN_SIGNIN_WINDOW', 900],
      perAccountAddress: ['KEYMINT_ADMIN_SIGNIN_FAILURES_PER_ACCOUNT_ADDRESS', 5],
      perAccount: ['KEYMINT_ADMIN_SIGNIN_FAILURES_PER_ACCOUNT', 100],
      perAddress: ['KEYMINT_ADMIN_SIGNIN_FAILURES_PER_ADDRESS', 20],
    }),
    signUp: Object.freeze({
      windowSeconds: parseInteger(get('KEYMINT_SIGNUP_WINDOW'), 'KEYMINT_SIGNUP_WINDOW', 600, 1, 86_400),
      perAddress: parseInteger(get('KEYMINT_SIGNUPS_PER_ADDRESS'), 'KEYMINT_SIGNUPS_PER_ADDRESS', 10, 1, 1_000_000),
    }),
    leaks: Object.freeze({
      githubKeys: readGitHubKeysFile(get('KEYMINT_GITHUB_SECRET_SCANNING_KEYS'), cwd),
      githubReportsPerMinute: parseInteger(get('KEYMINT_GITHUB_LEAK_REPORTS_PER_MINUTE'), 'KEYMINT_GITHUB_LEAK_REPORTS_PER_MINUTE', 120, 1, 1_000_000),
      publicRevokesPerMinute: parseInteger(get('KEYMINT_PUBLIC_REVOKE_PER_MINUTE'), 'KEYMINT_PUBLIC_REVOKE_PER_MINUTE', 10, 1, 1_000_000),
    }),
    expiryWarningDays: parseExpiryWarningDays(get('KEYMINT_EXPIRY_WARNING_DAYS')),
    expiryCheckIntervalSeconds: parseInteger(get('KEYMINT_EXPIRY_CHECK_INTERVAL'), 'KEYMINT_EXPIRY_CHECK_INTERVAL', 600, 1, 86_400),
    webhooks: Object.freeze({
      allowPrivateNetworks: parseBoolean(get('KEYMINT_WEBHOOK_ALLOW_PRIVATE_NETWORKS'), 'KEYMINT_WEBHOOK_ALLOW_PRIVATE_NETWORKS', false),
      timeoutSeconds: parseInteger(get('KEYMINT_WEBHOOK_TIMEOUT'), 'KEYMINT_WEBHOOK_TIMEOUT', 10, 1, 60),
      retrySeconds: parseRetrySchedule(get('KEYMINT_WEBHOOK_RETRY_SCHEDULE')),
    }),
    tracing: parseTracing(get),
  });
}

function parseBoolean(text: string | undefined, setting: string, fallback: boolean): boolean {
  if (text === undefined) return fallback;
  if (text === 'true') return true;
  if (text === 'false') return false;
  throw new ConfigError(setting, 'true or false', text);
}

function parseRetrySchedule(text: string | undefined): readonly number[] {
  if (text === undefined) return DEFAULT_WEBHOOK_RETRY_SECONDS;
  const entries = text.split(',').map((s) => s.trim());
  if (entries.length > 20 || !entries.every((s) => /^\d{1,6}$/.test(s) && Number(s) >= 1 && Number(s) <= 172_800)) {
    throw new ConfigError('KEYMINT_WEBHOOK_RETRY_SCHEDULE', 'up to 20 comma-separated delays in seconds, each 1 to 172800 (e.g. 5,300,1800)', text);
  }
  return Object.freeze(entries.map(Number));
}

/** The OTLP/HTTP traces URL the OpenTelemetry specification derives from its variables, or null. */
function parseTracing(get: (name: string) => string | undefined): Config['tracing'] {
  const traces = get('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT');
  const base = get('OTEL_EXPORTER_OTLP_ENDPOINT');
  if (traces === undefined && base === undefined) return null;
  const name = traces === undefined ? 'OTEL_EXPORTER_OTLP_ENDPOINT' : 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT';
  const text = traces ?? `${base!.replace(/\/+$/, '')}/v1/traces`;
  let url: URL | null = null;
  try {
    url = new URL(text);
  } catch {
    url = null;
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) throw new ConfigError(name, 'an http:// or https:// URL of an OTLP/HTTP collector, such as http://127.0.0.1:4318', redactUrl((traces ?? base)!));
  return Object.freeze({ tracesUrl: url.href, serviceName: get('OTEL_SERVICE_NAME') ?? 'keymint' });
}

/**
 * `serve --workers N` on a config: a memory replay store is per process, so each worker would
 * accept one signed request once. Several workers use the database store instead, unless
 * KEYMINT_REPLAY_STORE=memory was chosen explicitly, which then stops start-up.
 */
export function configForWorkers(config: Config, workers: number): Config {
  if (workers <= 1 || config.replayStore !== 'memory') return config;
  if (config.replayStoreChosen) {
    throw new ConfigError('KEYMINT_REPLAY_STORE', 'database or redis with --workers above 1 (a memory store is per worker process: every worker would accept a signed request once)', 'memory');
  }
  return Object.freeze({ ...config, replayStore: 'database' });
}

/** The key file GitHub's document was saved to (tests and offline deployments); unreadable or invalid stops start-up. */
function readGitHubKeysFile(path: string | undefined, cwd: string): readonly GitHubScanningKey[] | null {
  if (path === undefined) return null;
  const setting = 'KEYMINT_GITHUB_SECRET_SCANNING_KEYS';
  let document: unknown;
  try {
    document = JSON.parse(readFileSync(resolve(cwd, path), 'utf8'));
  } catch {
    throw new ConfigError(setting, 'a readable JSON file holding GitHub\'s secret-scanning keys', path);
  }
  const keys = parseGitHubKeys(document);
  if (typeof keys === 'string') throw new ConfigError(setting, `${keys} in the file`, path);
  return Object.freeze(keys);
}

/** `30,7,1`: distinct whole days from 1 to 365, kept largest first; `none` turns warnings off. */
function parseExpiryWarningDays(text: string | undefined): readonly number[] {
  if (text === undefined) return Object.freeze([30, 7, 1]);
  if (text === 'none') return Object.freeze([]);
  const days = text.split(',').map((item) => item.trim());
  if (!days.every((day) => /^\d{1,3}$/.test(day) && Number(day) >= 1 && Number(day) <= 365) || new Set(days.map(Number)).size !== days.length) {
    throw new ConfigError('KEYMINT_EXPIRY_WARNING_DAYS', 'comma-separated distinct whole days from 1 to 365 (e.g. 30,7,1), or none', text);
  }
  return Object.freeze(days.map(Number).sort((a, b) => b - a));
}

function parseRedisPrefix(text: string | undefined): string {
  if (text === undefined) return 'keymint:';
  if (!/^[\w:.-]{1,64}$/.test(text)) throw new ConfigError('KEYMINT_REDIS_PREFIX', '1-64 letters, digits, or _ : . -', text);
  return text;
}

/** Each limit from its variable (named in full, so the README check sees it) or its default. */
function parseSignInLimits(get: (name: string) => string | undefined, settings: { [K in keyof SignInLimits]: [string, number] }): SignInLimits {
  const read = ([name, fallback]: [string, number], max: number) => parseInteger(get(name), name, fallback, 1, max);
  return Object.freeze({
    windowSeconds: read(settings.windowSeconds, 86_400),
    perAccountAddress: read(settings.perAccountAddress, 1_000_000),
    perAccount: read(settings.perAccount, 1_000_000),
    perAddress: read(settings.perAddress, 1_000_000),
  });
}

function parsePort(text: string | undefined, setting: string): number {
  if (text === undefined) return 8080;
  if (!/^\d+$/.test(text) || Number(text) > 65_535) throw new ConfigError(setting, 'a port number from 0 to 65535', text);
  return Number(text);
}

function parseInteger(text: string | undefined, setting: string, fallback: number, min: number, max: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < min || value > max) throw new ConfigError(setting, `a whole number from ${min} to ${max}`, text);
  return value;
}

function parseTimeouts(get: (name: string) => string | undefined): Config['timeouts'] {
  const timeouts = Object.freeze({
    idle: parseInteger(get('KEYMINT_IDLE_TIMEOUT'), 'KEYMINT_IDLE_TIMEOUT', 30, 1, 3600),
    keepAlive: parseInteger(get('KEYMINT_KEEP_ALIVE_TIMEOUT'), 'KEYMINT_KEEP_ALIVE_TIMEOUT', 30, 1, 3600),
    headers: parseInteger(get('KEYMINT_HEADERS_TIMEOUT'), 'KEYMINT_HEADERS_TIMEOUT', 20, 1, 3600),
    request: parseInteger(get('KEYMINT_REQUEST_TIMEOUT'), 'KEYMINT_REQUEST_TIMEOUT', 30, 1, 3600),
  });
  // Node refuses a headers timeout above the request timeout: say so by name instead of crashing later.
  if (timeouts.headers > timeouts.request) {
    throw new ConfigError('KEYMINT_HEADERS_TIMEOUT', `at most KEYMINT_REQUEST_TIMEOUT (${timeouts.request})`, String(timeouts.headers));
  }
  return timeouts;
}

function parseOnOff(text: string | undefined, name: string): boolean {
  if (text === undefined || text === 'off') return false;
  if (text === 'on') return true;
  throw new ConfigError(name, 'on or off', text);
}

function parseTrustProxy(text: string | undefined): boolean | number | string {
  if (text === undefined || text === 'false') return false;
  if (text === 'true') return true;
  if (/^\d{1,2}$/.test(text)) return Number(text);
  const entries = text.split(',').map((entry) => entry.trim());
  if (entries.every((entry) => /^[0-9a-fA-F:.]+(\/\d{1,3})?$/.test(entry) || ['loopback', 'linklocal', 'uniquelocal'].includes(entry))) return entries.join(',');
  throw new ConfigError('KEYMINT_TRUST_PROXY', 'false, true, a hop count, or comma-separated proxy addresses/CIDRs', text);
}

function parsePublicUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ConfigError('KEYMINT_PUBLIC_URL', 'an absolute http(s) URL such as https://auth.example.com', text);
  }
  if ((url.protocol !== 'https:' && url.protocol !== 'http:') || url.search || url.hash || url.username) {
    throw new ConfigError('KEYMINT_PUBLIC_URL', 'an http(s) URL without query, fragment or credentials', text);
  }
  // Issuers are compared byte for byte (RFC 8414 §3.3): keep one canonical form, no trailing slash.
  return url.href.replace(/\/+$/, '');
}

function sqliteAt(path: string): DatabaseLocation {
  return { kind: 'sqlite', path, url: `sqlite:${path}` };
}

function parseDatabaseUrl(text: string, cwd: string): DatabaseLocation {
  if (text.startsWith('sqlite:')) {
    const path = text.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '');
    if (!path) throw new ConfigError('KEYMINT_DATABASE_URL', 'sqlite:PATH with a file path', text);
    return sqliteAt(isAbsolute(path) ? path : resolve(cwd, path));
  }
  if (/^postgres(ql)?:\/\//.test(text)) {
    try {
      new URL(text);
    } catch {
      throw new ConfigError('KEYMINT_DATABASE_URL', 'a valid postgres://user@host:port/database URL', redactUrl(text));
    }
    return { kind: 'postgres', url: text };
  }
  throw new ConfigError('KEYMINT_DATABASE_URL', 'sqlite:PATH or postgres://…', redactUrl(text));
}

/** Database URLs may carry a password: never echo it back. */
export function redactUrl(text: string): string {
  return text.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');
}
