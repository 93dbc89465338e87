import { createServer } from 'node:net';

/** `keymint serve` on a port something else holds: said in one line, before any work is done. */
export class PortInUse extends Error {
  override name = 'PortInUse';
}

/**
 * Fails fast when the port cannot be bound, naming it and what to do, instead of migrating,
 * bootstrapping and then dying on EADDRINUSE. (A port taken between this check and the real
 * listen still fails, with the same message from the listen itself.)
 */
export async function assertPortFree(host: string, port: number): Promise<void> {
  if (port === 0) return;
  await new Promise<void>((resolve, reject) => {
    const probe = createServer();
    probe.once('error', (error: NodeJS.ErrnoException) => reject(portError(error, host, port)));
    probe.listen({ host, port, exclusive: true }, () => probe.close(() => resolve()));
  });
}

export function portError(error: NodeJS.ErrnoException, host: string, port: number): Error {
  if (error.code === 'EADDRINUSE') {
    return new PortInUse(`port ${port} on ${host} is already in use (another Keymint or another program): stop it, or start on another port with PORT=${port + 1} or --port ${port + 1}`);
  }
  if (error.code === 'EACCES') return new PortInUse(`not allowed to listen on port ${port} on ${host}: choose a port above 1023 (PORT or --port)`);
  if (error.code === 'EADDRNOTAVAIL') return new PortInUse(`${host} is not an address of this machine: set HOST (or --host) to one that is, e.g. 127.0.0.1 or 0.0.0.0`);
  return error;
}
