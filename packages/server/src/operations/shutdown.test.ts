import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { connect } from 'node:net';
import { basic } from '../testing/harness.js';
import { spawnServe } from '../testing/serve-process.js';

/** A token request on its own connection; resolves with the status, or the connection error's code. */
function tokenRequest(url: string, authorization: string): Promise<number | string> {
  return new Promise((resolve) => {
    const body = 'grant_type=client_credentials';
    const req = request(`${url}/t/default/oauth/token`, {
      method: 'POST',
      agent: false,
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body), authorization },
    }, (res) => {
      let text = '';
      res.on('data', (chunk) => (text += chunk));
      res.on('end', () => {
        // A complete response: status and a whole JSON body.
        try {
          JSON.parse(text);
          resolve(res.statusCode!);
        } catch {
          resolve(`truncated ${res.statusCode}`);
        }
      });
      res.on('error', () => resolve(`aborted ${res.statusCode}`));
    });
    req.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
    req.end(body);
  });
}

/**
 * A request whose body is still arriving when SIGTERM lands: it is in flight by any definition.
 * Resolves with the raw response once the rest of the body has been sent and answered.
 */
function slowTokenRequest(port: number, authorization: string): { sendRest(): void; response: Promise<string> } {
  const body = 'grant_type=client_credentials';
  const socket = connect(port, '127.0.0.1');
  socket.write(`POST /t/default/oauth/token HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${body.length}\r\nAuthorization: ${authorization}\r\nConnection: close\r\n\r\n${body.slice(0, 10)}`);
  let raw = '';
  socket.on('data', (chunk) => (raw += chunk.toString()));
  const response = new Promise<string>((resolve) => {
    socket.on('close', () => resolve(raw));
    socket.on('error', () => resolve(raw));
  });
  // write, not end: a client that half-closes its side may see the server close the socket before
  // an asynchronous response is written; `Connection: close` makes the server close after answering.
  return { sendRest: () => socket.write(body.slice(10)), response };
}

test('SIGTERM under load: requests in flight complete, new ones are refused cleanly, batched writes are flushed, exit 0', async () => {
  const server = await spawnServe();
  try {
    const created = await server.cli('app', 'create', '--name', 'shutdown', '--scopes', 'contacts_read');
    const authorization = basic(created.client_id, created.client_secret);
    assert.equal(await tokenRequest(server.url, authorization), 200);

    const port = Number(new URL(server.url).port);
    const slow = Array.from({ length: 5 }, () => slowTokenRequest(port, authorization));
    await new Promise((resolve) => setTimeout(resolve, 200));

    const outcomes: Array<number | string> = [];
    let stop = false;
    const loops = Array.from({ length: 6 }, async () => {
      while (!stop) outcomes.push(await tokenRequest(server.url, authorization));
    });
    await new Promise((resolve) => setTimeout(resolve, 400));
    const beforeSignal = outcomes.length;
    server.child.kill('SIGTERM');
    // The slow requests finish their bodies after the signal: they must still be answered.
    await new Promise((resolve) => setTimeout(resolve, 300));
    for (const request of slow) request.sendRest();
    const slowResponses = await Promise.all(slow.map((r) => r.response));
    const code = await server.exited;
    stop = true;
    await Promise.all(loops);

    for (const raw of slowResponses) {
      assert.match(raw, /^HTTP\/1\.1 200 /, `in-flight request answered: ${raw.slice(0, 80)}`);
      assert.match(raw, /"access_token":"/);
    }
    assert.equal(code, 0, server.output());
    assert.ok(beforeSignal > 10, `load ran (${beforeSignal} requests before SIGTERM)`);
    // Every request got a whole response (200, or 503 while closing) or was refused at connect.
    const bad = outcomes.filter((o) => !(o === 200 || o === 503 || o === 'ECONNREFUSED' || o === 'ECONNRESET'));
    assert.deepEqual(bad, []);
    assert.ok(outcomes.slice(0, beforeSignal).every((o) => o === 200), 'all 200 before the signal');
    assert.match(server.output(), /shutting down: draining in-flight requests/);
    assert.match(server.output(), /"msg":"shut down"/);
    // Last-used times are written every 5 s; the shutdown flush wrote this one although the server lived less.
    const { secrets } = await server.cli('app', 'secret', 'list', created.client_id);
    assert.ok(secrets[0].last_used_at, 'secret last-used time flushed on shutdown');
  } finally {
    await server.cleanup();
  }
});
