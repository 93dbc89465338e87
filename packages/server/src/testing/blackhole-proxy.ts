import { createServer, connect, type Socket } from 'node:net';

/**
 * A TCP proxy on loopback that a test can turn into a black hole: bytes stop flowing both ways
 * but no connection is closed or refused, as in a network partition that drops packets. That
 * is the outage a refused connection does not show: queries hang instead of failing.
 */
export interface BlackholeProxy {
  port: number;
  blackhole(): void;
  restore(): void;
  close(): Promise<void>;
}

export async function startBlackholeProxy(targetPort: number, targetHost = '127.0.0.1'): Promise<BlackholeProxy> {
  let dropping = false;
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect(targetPort, targetHost);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    // While dropping, whatever arrives is discarded: the sender waits for an answer forever.
    client.on('data', (chunk) => dropping || upstream.write(chunk));
    upstream.on('data', (chunk) => dropping || client.write(chunk));
    client.on('end', () => upstream.end());
    upstream.on('end', () => client.end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as { port: number }).port,
    blackhole: () => (dropping = true),
    // Connections that lost bytes are out of step with the server: end them, as a partition's
    // TCP timeouts eventually would; new connections work.
    restore() {
      dropping = false;
      for (const socket of sockets) socket.destroy();
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
