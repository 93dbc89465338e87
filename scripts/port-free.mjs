#!/usr/bin/env node
// `npm start` runs this before the build: a port already taken is reported at once, not after a
// minute of compiling. Best effort: it reads PORT and HOST from the environment only (a PORT in
// .env is checked by `keymint serve` itself, which also fails fast before doing any work).
import { createServer } from 'node:net';

const port = Number(process.env.PORT ?? 8080);
const host = process.env.HOST ?? '127.0.0.1';
if (!Number.isInteger(port) || port <= 0) process.exit(0);
const probe = createServer();
probe.once('error', (error) => {
  if (error.code !== 'EADDRINUSE') process.exit(0);
  process.stderr.write(`keymint: port ${port} on ${host} is already in use (another Keymint or another program): stop it, or start on another port with PORT=${port + 1} npm start\n`);
  process.exit(1);
});
probe.listen({ host, port, exclusive: true }, () => probe.close(() => process.exit(0)));
