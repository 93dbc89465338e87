import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { InvalidRequest, NotFound, ServerError } from '../errors.js';
import { sendError } from './errors.js';

/**
 * Failures Fastify answers before any route or error handler runs: a URL that does not decode
 * (FST_ERR_BAD_URL) or a path parameter over the router's length limit (FST_ERR_MAX_PARAM_LENGTH:
 * a 300-character tenant slug or contact id). Fastify's own bodies have another shape and echo
 * the whole path; here they are answered like every other error (security suite: fuzz.test.ts).
 */
export function frameworkErrors(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  // No tenant or contact has an id that long, so the resource does not exist.
  const failure = error.code === 'FST_ERR_MAX_PARAM_LENGTH' ? new NotFound('no such resource')
    : error.code === 'FST_ERR_BAD_URL' ? new InvalidRequest('the URL is not valid percent-encoding')
    : new ServerError('internal error');
  sendError(failure, 'api', request, reply);
}

/**
 * Requests the HTTP parser itself refuses (oversized headers, broken framing, a slow client):
 * the same statuses as Fastify's default, with the `{error, error_description}` body. Written on
 * the raw socket because there is no request object yet.
 */
export function clientErrorHandler(error: NodeJS.ErrnoException, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, description] = error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? [408, 'the request took too long']
    : error.code === 'HPE_HEADER_OVERFLOW' ? [431, 'the request headers are too large']
    : [400, 'the request is not valid HTTP'];
  const body = JSON.stringify({ error: 'invalid_request', error_description: description });
  if (socket.writable) {
    socket.write(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nContent-Type: application/json; charset=utf-8\r\nConnection: close\r\n\r\n${body}`);
  }
  socket.destroy(error);
}
