import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { test } from 'node:test';
import { loadConfig, ConfigError } from '../config.js';
import { startTestServer } from '../testing/harness.js';

/** A raw TCP connection to the server; resolves `closed` with the seconds it stayed open. */
async function rawSocket(url: string): Promise<{ socket: Socket; closed: Promise<number>; received: () => string }> {
  const { hostname, port } = new URL(url);
  const socket = connect(Number(port), hostname);
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  const opened = Date.now();
  let received = '';
  socket.on('data', (chunk) => (received += chunk.toString()));
  socket.on('error', () => {});
  const closed = new Promise<number>((resolve) => socket.once('close', () => resolve((Date.now() - opened) / 1000)));
  return { socket, closed, received: () => received };
}

function deadline<T>(promise: Promise<T>, seconds: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: still open after ${seconds} s`)), seconds * 1000))),
  ]);
}

test('a TCP connection that sends nothing is closed by the server within 60 s with the default settings', async () => {
  const server = await startTestServer();
  try {
    const idle = await rawSocket(server.url);
    const seconds = await deadline(idle.closed, 60, 'an idle socket');
    assert.ok(seconds >= 1, 'not closed at once');
  } finally {
    await server.close();
  }
});

test('KEYMINT_IDLE_TIMEOUT alone closes a silent socket: 2 s idle with header and request deadlines far away', async () => {
  const server = await startTestServer({ env: { KEYMINT_IDLE_TIMEOUT: '2', KEYMINT_HEADERS_TIMEOUT: '300', KEYMINT_REQUEST_TIMEOUT: '300' } });
  try {
    const silent = await rawSocket(server.url);
    await deadline(silent.closed, 20, 'a silent socket');
  } finally {
    await server.close();
  }
});

test('slow clients are cut off: headers trickled one byte a second past KEYMINT_HEADERS_TIMEOUT, and an idle keep-alive socket after KEYMINT_KEEP_ALIVE_TIMEOUT', async () => {
  const server = await startTestServer({ env: { KEYMINT_IDLE_TIMEOUT: '30', KEYMINT_HEADERS_TIMEOUT: '2', KEYMINT_REQUEST_TIMEOUT: '3', KEYMINT_KEEP_ALIVE_TIMEOUT: '2' } });
  try {
    // Slowloris: a byte every second keeps the socket from ever being idle; only the header deadline ends it.
    const slow = await rawSocket(server.url);
    const request = `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Padding: ${'a'.repeat(100)}\r\n\r\n`;
    let sent = 0;
    const drip = setInterval(() => {
      if (!slow.socket.destroyed && sent < request.length) slow.socket.write(request[sent++]!);
    }, 1_000);
    try {
      await deadline(slow.closed, 25, 'a slowly sent request');
      assert.ok(sent < request.length, 'closed before the headers were complete');
    } finally {
      clearInterval(drip);
    }

    // Keep-alive: a served socket that then says nothing is closed after the keep-alive timeout, not the idle one.
    const keepAlive = await rawSocket(server.url);
    keepAlive.socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
    const seconds = await deadline(keepAlive.closed, 25, 'an idle keep-alive socket');
    assert.match(keepAlive.received(), /^HTTP\/1\.1 200/);
    assert.ok(seconds < 25);
  } finally {
    await server.close();
  }
});

test('connection timeout settings are validated at start-up, naming the setting', () => {
  assert.deepEqual(loadConfig({ env: {}, cwd: '/nonexistent' }).timeouts, { idle: 30, keepAlive: 30, headers: 20, request: 30 });
  assert.throws(() => loadConfig({ env: { KEYMINT_IDLE_TIMEOUT: '0' }, cwd: '/nonexistent' }), (error: unknown) => error instanceof ConfigError && error.setting === 'KEYMINT_IDLE_TIMEOUT');
  assert.throws(() => loadConfig({ env: { KEYMINT_HEADERS_TIMEOUT: '40' }, cwd: '/nonexistent' }), (error: unknown) => error instanceof ConfigError && error.setting === 'KEYMINT_HEADERS_TIMEOUT');
});
