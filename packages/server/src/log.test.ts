import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { createLogger, requestLoggerFactory, type Logger } from './log.js';

function capture(level: string): { logger: Logger; lines: () => Record<string, unknown>[]; children: () => number } {
  const chunks: string[] = [];
  const logger = createLogger(level, new Writable({ write: (chunk: Buffer, _encoding, done) => { chunks.push(chunk.toString()); done(); } }));
  let children = 0;
  const child = logger.child.bind(logger);
  logger.child = ((...args: Parameters<Logger['child']>) => { children++; return child(...args); }) as Logger['child'];
  return { logger, lines: () => chunks.join('').split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>), children: () => children };
}

test('a request logger at warn makes no pino child for lines below its level', () => {
  const { logger, lines, children } = capture('warn');
  const log = requestLoggerFactory(logger, { reqId: 'r-1' }, {});
  log.info({ req: { method: 'GET', url: '/x' } }, 'incoming request');
  log.debug('detail');
  assert.equal(children(), 0);
  assert.deepEqual(lines(), []);
  assert.equal(log.level, 'warn');
  assert.equal(log.isLevelEnabled('info'), false);
});

test('the first line at an enabled level carries the request id, and redaction still applies', () => {
  const { logger, lines, children } = capture('warn');
  const log = requestLoggerFactory(logger, { reqId: 'r-2' }, {});
  log.error({ client_secret: 'kms_secret', err: new Error('boom') }, 'request failed');
  log.warn('again');
  assert.equal(children(), 1, 'one child, made once');
  const [first, second] = lines();
  assert.equal(first!.reqId, 'r-2');
  assert.equal(first!.msg, 'request failed');
  assert.equal(first!.client_secret, '[redacted]');
  assert.equal(second!.reqId, 'r-2');
});

test('a route with a log level of its own gets its child at once, at that level', () => {
  const { logger, lines } = capture('warn');
  const log = requestLoggerFactory(logger, { reqId: 'r-3' }, { level: 'debug' });
  log.debug('visible');
  assert.equal(lines()[0]!.msg, 'visible');
});
