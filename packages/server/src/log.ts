import { pino, type Bindings, type ChildLoggerOptions, type DestinationStream, type Level, type Logger } from 'pino';

/**
 * Paths pino blanks out wherever they appear in a log object. Request logs carry headers
 * only through the serializer below, which already drops credentials; these are the second
 * line of defence for anything a handler might log by mistake.
 */
const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  'headers.cookie',
  'client_secret',
  '*.client_secret',
  'clientSecret',
  '*.clientSecret',
  'token',
  '*.token',
  'access_token',
  '*.access_token',
  'refresh_token',
  '*.refresh_token',
  'password',
  '*.password',
  'secret',
  '*.secret',
];

export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      serializers: {
        // The path only: a query string may carry a token someone pasted where it does not belong.
        req: (req: { method: string; url: string; ip?: string; id?: string }) => ({
          method: req.method,
          path: req.url.split('?')[0],
          ip: req.ip,
        }),
      },
    },
    destination,
  );
}

type LevelMethod = (...args: unknown[]) => void;

/**
 * A request's logger, made when the request first logs at an enabled level. Fastify gives every
 * request a child logger bound to its id; at the default level (info, two lines a request) it
 * is used at once, but at warn and above most requests never log, and pino's child() with
 * redaction was ~1.5 % of each request's event-loop time and a good share of its allocations.
 */
class RequestLogger {
  private made: Logger | null = null;

  constructor(
    private readonly parent: Logger,
    private readonly bindings: Bindings,
  ) {}

  private get logger(): Logger {
    return (this.made ??= this.parent.child(this.bindings));
  }

  get level(): string {
    return (this.made ?? this.parent).level;
  }

  set level(level: string) {
    this.logger.level = level;
  }

  isLevelEnabled(level: string): boolean {
    return (this.made ?? this.parent).isLevelEnabled(level);
  }

  child(bindings: Bindings, options?: ChildLoggerOptions): Logger {
    return this.logger.child(bindings, options);
  }

  // Methods on the prototype, not closures per instance: one of these is made for every request.
  private write(level: Level, args: unknown[]): void {
    if (this.isLevelEnabled(level)) (this.logger[level] as LevelMethod)(...args);
  }

  fatal(...args: unknown[]): void {
    this.write('fatal', args);
  }

  error(...args: unknown[]): void {
    this.write('error', args);
  }

  warn(...args: unknown[]): void {
    this.write('warn', args);
  }

  info(...args: unknown[]): void {
    this.write('info', args);
  }

  debug(...args: unknown[]): void {
    this.write('debug', args);
  }

  trace(...args: unknown[]): void {
    this.write('trace', args);
  }

  silent(): void {}
}

/**
 * Fastify's `childLoggerFactory`: request loggers made on first use (RequestLogger). A route
 * with a log level of its own gets its child at once, as Fastify would make it.
 */
export function requestLoggerFactory(parent: Logger, bindings: Bindings, options: ChildLoggerOptions): Logger {
  if (options.level) return parent.child(bindings, options);
  return new RequestLogger(parent, bindings) as unknown as Logger;
}

export type { Logger };
