import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { requestLoggerFactory, type Logger } from '../log.js';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { Keymint } from '../keymint.js';
import { jwksRoutes } from '../keys/routes.js';
import { metadataRoutes, rootMetadataRoutes } from '../oauth/metadata.js';
import { tokenEndpointRoutes } from '../oauth/token-endpoint.js';
import { installClientAuth } from '../oauth/auth-failures.js';
import { gatewayRoutes } from '../gateway/routes.js';
import { introspectionRoutes } from '../introspection/routes.js';
import { revocationRoutes } from '../revocation/routes.js';
import { profileRoutes } from '../profiles/routes.js';
import { contactRoutes } from '../contacts/routes.js';
import { resourceMetadataRoutes } from '../resource/metadata.js';
import { userRoutes } from '../users/routes.js';
import { notFound, sendError, toKeymintError } from './errors.js';
import { registerFormParser } from './form-body.js';
import { installRequestTracing } from '../telemetry/tracing.js';
import { scopeToTenant } from './tenant-scope.js';
import { randomLowerAlnum } from '../crypto/random.js';
import { adminRoutes } from '../admin/routes.js';
import { consoleRoutes, secureHeaders } from '../admin/console.js';
import { clientErrorHandler, frameworkErrors } from './framework-errors.js';
import { rejectNulCharacters } from './input-guard.js';
import { installOperations, type Operations } from './operations.js';
import { githubLeakRoutes, publicRevokeRoutes } from '../leaks/routes.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** Health, readiness, metrics (http/operations.ts); `drain()` on graceful shutdown. */
    operations: Operations;
  }
}

export interface AppOptions {
  /** The public base URL; resolved after listen when not configured. */
  publicUrl: () => string;
}

/**
 * A proxy's X-Request-Id when it is a plain token, else this process's random prefix and a
 * counter: unique, and cheaper than random bytes on every request.
 */
function requestIds(): (request: { headers: Record<string, string | string[] | undefined> }) => string {
  const prefix = randomLowerAlnum(8);
  let counter = 0;
  return (request) => {
    const given = request.headers['x-request-id'];
    if (typeof given === 'string' && /^[\w.:-]{1,128}$/.test(given)) return given;
    counter = (counter + 1) % Number.MAX_SAFE_INTEGER;
    return `${prefix}-${counter.toString(36)}`;
  };
}

/** The whole HTTP surface: one plugin per area, tenant routes under `/t/:tenant`. */
export async function buildApp(keymint: Keymint, { publicUrl }: AppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: keymint.log as FastifyBaseLogger,
    // Request ids join every log line of a request; a caller's X-Request-Id is kept when sane.
    requestIdHeader: false,
    genReqId: requestIds(),
    childLoggerFactory: (logger, bindings, options) => requestLoggerFactory(logger as Logger, bindings, options) as FastifyBaseLogger,
    bodyLimit: 64 * 1024,
    // Sockets that send nothing, or too slowly, are closed (docs/operations.md "Connection timeouts"):
    // without these an idle TCP connection was kept forever, a free way to exhaust file descriptors.
    connectionTimeout: keymint.config.timeouts.idle * 1000,
    keepAliveTimeout: keymint.config.timeouts.keepAlive * 1000,
    requestTimeout: keymint.config.timeouts.request * 1000,
    // Node checks the header and request deadlines on this interval, so it bounds how late they fire.
    http: { headersTimeout: keymint.config.timeouts.headers * 1000, connectionsCheckingInterval: 5_000 },
    // Off: Fastify's own 503 has its own body. While draining, operations.ts answers 503
    // temporarily_unavailable in the route's error shape, with Retry-After and Connection: close.
    return503OnClosing: false,
    // Client IPs (rate limits, audit) from X-Forwarded-For only behind trusted proxies (KEYMINT_TRUST_PROXY).
    // (A hop count is accepted at run time though Fastify's types omit it.)
    trustProxy: keymint.config.trustProxy as boolean | string,
    // verbose: the failing schema is on the error, so messages can say its rule in words (http/validation-message.ts).
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, allErrors: false, verbose: true } },
    // Router and HTTP-parser refusals in the documented error shape too (security/fuzz.test.ts).
    frameworkErrors,
    clientErrorHandler,
  });

  if (keymint.config.tracing) installRequestTracing(app);
  registerFormParser(app);

  app.setErrorHandler((error, request, reply) => {
    const profile = request.routeOptions.config.errorProfile ?? 'api';
    const failure = toKeymintError(error, profile);
    if (failure.status >= 500) request.log.error({ err: error }, 'request failed');
    return sendError(failure, profile, request, reply);
  });
  app.setNotFoundHandler((request, reply) => sendError(notFound(request), 'api', request, reply));
  // Before every route's own preValidation hooks (authentication included): see input-guard.ts.
  app.addHook('preValidation', rejectNulCharacters);

  await app.register(swagger, {
    openapi: {
      info: { title: 'Keymint', version: '0.1.0', description: 'Self-hosted authentication server for REST API platforms' },
      components: {
        securitySchemes: {
          bearerAuth: { type: 'http', scheme: 'bearer', description: 'RFC 6750 Bearer: a JWT access token, kma_ or kmk_ token' },
          adminToken: { type: 'http', scheme: 'bearer', description: 'Admin API token (kmo_…), docs/admin.md' },
          clientBasic: { type: 'http', scheme: 'basic', description: 'An app\'s client_id and client_secret (RFC 6749 §2.3.1): the verify API, docs/gateway.md' },
          adminSession: { type: 'apiKey', in: 'cookie', name: 'keymint_admin', description: 'Console session cookie (__Host-keymint_admin over https); unsafe requests also need X-CSRF-Token' },
        },
      },
    },
  });
  // The docs pages get the console's headers: a framed or script-injected docs page is as bad as a framed console.
  await app.register(swaggerUi, { routePrefix: '/docs', uiHooks: { onRequest: (_request, reply, done) => { secureHeaders(reply); done(); } } });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  app.decorate('operations', installOperations(app, {
    outageGraceSeconds: keymint.config.outageGraceSeconds,
    db: keymint.db, tenants: keymint.tenants, keys: keymint.keys, changes: keymint.changes,
    caches: { apps: keymint.apps, signing_keys: keymint.keys, revocations: keymint.revocations, tenants: keymint.tenants },
    poolStats: keymint.poolStats, listening: keymint.listening,
  }));

  await app.register(rootMetadataRoutes, { tenants: keymint.tenants, keys: keymint.keys, publicUrl });
  await app.register(resourceMetadataRoutes, { tenants: keymint.tenants, publicUrl });
  await app.register(adminRoutes, {
    admins: keymint.admins, tenants: keymint.tenants, apps: keymint.apps, apiTokens: keymint.apiTokens, keys: keymint.keys,
    audit: keymint.audit, usage: keymint.usage, users: keymint.users, webhooks: keymint.webhooks, publicUrl, prefix: '/admin/v1',
    configAsCode: keymint.configAsCode,
  });
  await app.register(consoleRoutes);
  // Leaked credentials name their own tenant: these two live outside the tenant scope.
  await app.register(githubLeakRoutes, { leaks: keymint.leaks, githubKeys: keymint.githubKeys, attempts: keymint.attempts, reportsPerMinute: keymint.config.leaks.githubReportsPerMinute });
  await app.register(publicRevokeRoutes, { leaks: keymint.leaks, attempts: keymint.attempts, revokesPerMinute: keymint.config.leaks.publicRevokesPerMinute });
  await app.register(
    async (tenantScoped) => {
      scopeToTenant(tenantScoped, { tenants: keymint.tenants, publicUrl });
      installClientAuth(tenantScoped, { apps: keymint.apps, attempts: keymint.attempts, audit: keymint.audit, config: keymint.config, now: keymint.now, replay: keymint.replay });
      await tenantScoped.register(metadataRoutes, { tenants: keymint.tenants, keys: keymint.keys, publicUrl });
      await tenantScoped.register(jwksRoutes, { keys: keymint.keys, config: keymint.config });
      await tenantScoped.register(tokenEndpointRoutes, { tenants: keymint.tenants, accessTokens: keymint.accessTokens, users: keymint.users, dpop: keymint.dpop });
      await tenantScoped.register(introspectionRoutes, { accessTokens: keymint.accessTokens, sessionCredentials: keymint.sessionCredentials, keys: keymint.keys, now: keymint.now });
      await tenantScoped.register(revocationRoutes, { accessTokens: keymint.accessTokens, sessionCredentials: keymint.sessionCredentials, revocations: keymint.revocations });
      await tenantScoped.register(profileRoutes, {
        tenants: keymint.tenants, apps: keymint.apps, accessTokens: keymint.accessTokens, now: keymint.now,
        replay: keymint.replay, dpop: keymint.dpop,
      });
      await tenantScoped.register(contactRoutes, { db: keymint.db, changes: keymint.changes, now: keymint.now, bearer: keymint.bearer, limiter: keymint.limiter });
      await tenantScoped.register(gatewayRoutes, { verifier: keymint.keyVerifier });
      await tenantScoped.register(userRoutes, { accounts: keymint.users.accounts, codes: keymint.users.codes, sessions: keymint.users.sessions, tokenCheck: keymint.users.tokenCheck, passwords: keymint.passwords, sessionCredentials: keymint.sessionCredentials, dpop: keymint.dpop, now: keymint.now });
    },
    { prefix: '/t/:tenant' },
  );
  return app;
}
