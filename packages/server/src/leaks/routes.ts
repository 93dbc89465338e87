import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { Value } from '@sinclair/typebox/value';
import { budgetKey, type Attempts } from '../attempts/attempts.js';
import type { AuditContext } from '../audit/service.js';
import { verifyEcdsaSha256 } from '../crypto/ecdsa.js';
import { InvalidRequest, InvalidSignature, TemporarilyUnavailable } from '../errors.js';
import { errorResponses as errors } from '../http/error-body.js';
import { jsonBodyOnly } from '../http/json-only.js';
import { noStore } from '../http/no-store.js';
import type { GitHubKeySource } from './github-keys.js';
import { GitHubLeakAnswer, GitHubLeakReport, GitHubSignatureHeaders, PublicRevokeAnswer, PublicRevokeBody } from './schemas.js';
import { MAX_CREDENTIALS_PER_REPORT, type LeakService } from './service.js';

/** A GitHub report carries at most 100 matches; its raw body is bounded well above that. */
const MAX_REPORT_BYTES = 64 * 1024;
const tags = ['leaked credentials'];

/** A per-address budget of requests per minute, taken in `onRequest`, before any body is read. */
function perMinute(attempts: Attempts, scope: string, max: number, refusal: string) {
  return async (request: FastifyRequest): Promise<void> => {
    await attempts.reserve([{ key: budgetKey(scope, request.ip), max, windowMs: 60_000 }], refusal);
  };
}

function auditContext(request: FastifyRequest, actorId: string): AuditContext {
  return { actor: 'system', actorId, ip: request.ip };
}

export interface GitHubLeakRoutesOptions {
  leaks: LeakService;
  githubKeys: GitHubKeySource;
  attempts: Attempts;
  reportsPerMinute: number;
}

/**
 * `POST /leaks/github`: GitHub's secret-scanning partner endpoint (docs/leaked-credentials.md). The
 * body is kept as raw bytes (a JSON parser of this plugin only) so the ECDSA signature is checked
 * over exactly what GitHub signed; only then is it parsed.
 */
export const githubLeakRoutes: FastifyPluginAsyncTypebox<GitHubLeakRoutesOptions> = async (app, { leaks, githubKeys, attempts, reportsPerMinute }) => {
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer', bodyLimit: MAX_REPORT_BYTES }, (_request, body, done) => done(null, body));
  app.post('/leaks/github', {
    config: { errorProfile: 'api' },
    onRequest: [noStore, perMinute(attempts, 'leaks:github', reportsPerMinute, 'too many secret-scanning reports from this address')],
    preValidation: [jsonBodyOnly],
    schema: {
      summary: 'GitHub secret-scanning report: revoke every live credential in it',
      tags,
      headers: GitHubSignatureHeaders,
      response: { 200: GitHubLeakAnswer, ...errors },
    },
  }, async (request) => {
    const raw = request.body;
    if (!Buffer.isBuffer(raw)) throw new InvalidRequest('the request body must be application/json');
    const keyId = request.headers['github-public-key-identifier'];
    let key;
    try {
      key = await githubKeys.find(keyId);
    } catch (error) {
      request.log.error({ err: error }, 'GitHub secret-scanning keys unavailable');
      throw new TemporarilyUnavailable('the signing keys cannot be fetched right now: try again shortly');
    }
    if (!key) throw new InvalidSignature('unknown Github-Public-Key-Identifier');
    if (!verifyEcdsaSha256(key, raw, request.headers['github-public-key-signature'])) throw new InvalidSignature('Github-Public-Key-Signature does not match the body');
    let report: unknown;
    try {
      report = JSON.parse(raw.toString('utf8'));
    } catch {
      throw new InvalidRequest('the body is not JSON');
    }
    if (!Value.Check(GitHubLeakReport, report)) throw new InvalidRequest(`the body must be GitHub's report: 1 to ${MAX_CREDENTIALS_PER_REPORT} objects with a token and a type`);
    const verdicts = await leaks.revoke(report.map((match) => ({ credential: match.token, url: match.url })), 'github', auditContext(request, 'github'));
    return report.map((match, i) => ({ token_raw: match.token, token_type: match.type, label: verdicts[i]!.revoked ? 'true_positive' as const : 'false_positive' as const }));
  });
};

export interface PublicRevokeRoutesOptions {
  leaks: LeakService;
  attempts: Attempts;
  revokesPerMinute: number;
}

/**
 * `POST /v1/credentials/revoke`: anyone holding a Keymint credential may revoke it (like GitHub's
 * credential-revocation API). The answer is the same whatever was found, so it tells nothing.
 */
export const publicRevokeRoutes: FastifyPluginAsyncTypebox<PublicRevokeRoutesOptions> = async (app, { leaks, attempts, revokesPerMinute }) => {
  app.post('/v1/credentials/revoke', {
    config: { errorProfile: 'api' },
    onRequest: [noStore, perMinute(attempts, 'leaks:public-revoke', revokesPerMinute, 'too many revocation requests from this address')],
    preValidation: [jsonBodyOnly],
    schema: {
      summary: 'Revoke credentials you hold (answers the same whatever was found)',
      tags,
      body: PublicRevokeBody,
      response: { 202: PublicRevokeAnswer, ...errors },
    },
  }, async (request, reply) => {
    await leaks.revoke(request.body.credentials.map((credential) => ({ credential })), 'public_revoke', auditContext(request, 'public_revoke'));
    return reply.code(202).send({ status: 'accepted' });
  });
};
