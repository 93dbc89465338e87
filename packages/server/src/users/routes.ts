import cookie from '@fastify/cookie';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { extractBearerToken } from '@keymint/sdk/node';
import { InvalidGrant, InvalidToken, MissingToken } from '../errors.js';
import { readCookie } from '../http/cookies.js';
import { errorResponses as errors } from '../http/error-body.js';
import { toKeymintError } from '../http/errors.js';
import { jsonBodyOnly } from '../http/json-only.js';
import { noStore } from '../http/no-store.js';
import type { Keymint } from '../keymint.js';
import { corsHook, csrfHook } from './browser-guard.js';
import { clearSessionCookies, cookieNames, setSessionCookies } from './cookies.js';
import { sessionTokensJson, type SessionTokens } from './model.js';
import {
  ChangePasswordBody, CredentialsBody, OtpStartBody, OtpVerifyBody, RefreshBody, ResetPasswordBody, SessionBody, SessionTokensBody, SignInBody, SignOutBody, VerifyEmailBody,
} from './schemas.js';

const tags = ['end users'];

/** The access token of a session route: Authorization header, or (cookie mode) the access cookie. */
function accessTokenOf(request: FastifyRequest): string {
  const token = optionalAccessTokenOf(request);
  if (token === undefined) throw new MissingToken('this request needs the access token (Bearer header or cookie)');
  return token;
}

function optionalAccessTokenOf(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (header !== undefined && header !== '') {
    try {
      return extractBearerToken({ authorization: header });
    } catch (error) {
      throw toKeymintError(error);
    }
  }
  return readCookie(request, cookieNames(request.issuer).access);
}

/**
 * `/t/:tenant/auth/…`: the end-user endpoints (DESIGN "End-user endpoints"). Thin: parse, call
 * UserService, then answer in the tenant's token mode (JSON tokens, or HTTP-only cookies).
 */
export async function userRoutes(app: FastifyInstance, { keymint }: { keymint: Keymint }): Promise<void> {
  const { users, passwords } = keymint;
  await app.register(cookie);
  app.addHook('onRequest', corsHook(users));
  const csrf = csrfHook(users);
  const config = { errorProfile: 'oauth' as const };

  function reply(request: FastifyRequest, response: FastifyReply, tokens: SessionTokens, status = 200) {
    const base = { identity_token: tokens.identityToken, expires_in: tokens.expiresIn, refresh_reuse_grace: tokens.refreshReuseGrace, user: tokens.user };
    if (users.settings(request.tenant).tokenMode === 'cookie') {
      setSessionCookies(response, request.issuer, tokens, keymint.now());
      return response.code(status).send(base);
    }
    return response.code(status).send(sessionTokensJson(tokens));
  }

  // CORS preflight for every /auth route; the onRequest hook above adds the allow headers.
  app.options('/auth/*', { schema: { hide: true } }, async (_request, response) => response.code(204).send());

  const post = { config, onRequest: [noStore, csrf], preValidation: jsonBodyOnly };

  app.post('/auth/signup', {
    ...post,
    schema: { summary: 'Sign up with email and password', tags, body: CredentialsBody, response: { 201: SessionTokensBody, ...errors } },
  }, async (request, response) => reply(request, response, await users.signUp(request.tenant, request.issuer, request.body as CredentialsBody, { ip: request.ip }), 201));

  app.post('/auth/signin', {
    ...post,
    schema: { summary: 'Sign in with email and password (and a mailed code to prove the email)', tags, body: SignInBody, response: { 200: SessionTokensBody, ...errors } },
  }, async (request, response) => reply(request, response, await users.signIn(request.tenant, request.issuer, request.body as SignInBody, { ip: request.ip })));

  app.post('/auth/password/reset', {
    ...post,
    schema: { summary: 'Set a new password with a mailed code (from /auth/otp/start) and sign in; other sessions end', tags, body: ResetPasswordBody, response: { 200: SessionTokensBody, ...errors } },
  }, async (request, response) => reply(request, response, await passwords.reset(request.tenant, request.issuer, request.body as ResetPasswordBody, { ip: request.ip })));

  app.post('/auth/otp/start', {
    ...post,
    schema: { summary: 'Mail a one-time sign-in code', tags, body: OtpStartBody, response: { 204: { type: 'null' }, ...errors } },
  }, async (request, response) => {
    const body = request.body as OtpStartBody;
    await users.startOtp(request.tenant, body, { ip: request.ip }, body.purpose);
    return response.code(204).send();
  });

  app.post('/auth/otp/verify', {
    ...post,
    schema: { summary: 'Sign in (or up) with a mailed code', tags, body: OtpVerifyBody, response: { 200: SessionTokensBody, ...errors } },
  }, async (request, response) => reply(request, response, await users.verifyOtp(request.tenant, request.issuer, request.body as OtpVerifyBody, { ip: request.ip })));

  app.post('/auth/refresh', {
    ...post,
    schema: { summary: 'Rotate the refresh token for new session tokens', tags, body: RefreshBody, response: { 200: SessionTokensBody, ...errors } },
  }, async (request, response) => {
    const cookieMode = users.settings(request.tenant).tokenMode === 'cookie';
    const token = cookieMode ? readCookie(request, cookieNames(request.issuer).refresh) : (request.body as RefreshBody).refresh_token;
    try {
      return reply(request, response, await users.refresh(request.tenant, request.issuer, token));
    } catch (error) {
      // A dead session's cookies are useless: drop them so the browser stops sending them. Only
      // then: after a 5xx the refresh token may well be unspent, and the session alive.
      if (cookieMode && error instanceof InvalidGrant) clearSessionCookies(response, request.issuer);
      throw error;
    }
  });

  app.post('/auth/signout', {
    config: { errorProfile: 'bearer' as const },
    onRequest: [noStore, csrf],
    schema: {
      summary: 'Sign out: revoke the session (refresh token in the body or cookie, or the access token)',
      tags,
      security: [{ bearerAuth: [] }, {}],
      body: SignOutBody,
      response: { 204: { type: 'null' }, ...errors },
    },
  }, async (request, response) => {
    const cookieMode = users.settings(request.tenant).tokenMode === 'cookie';
    const refreshToken = (request.body as SignOutBody | undefined)?.refresh_token ?? (cookieMode ? readCookie(request, cookieNames(request.issuer).refresh) : undefined);
    const accessToken = optionalAccessTokenOf(request);
    try {
      await keymint.sessionCredentials.signOut(request.tenant, request.issuer, { refreshToken, accessToken });
    } catch (error) {
      // Cookies that name no live session are useless: drop them. On a 5xx they stay, so a retry can still end the session.
      if (cookieMode && error instanceof InvalidToken) clearSessionCookies(response, request.issuer);
      throw error;
    }
    if (cookieMode) clearSessionCookies(response, request.issuer);
    return response.code(204).send();
  });

  const signedIn = { config: { errorProfile: 'bearer' as const }, onRequest: [noStore, csrf], preValidation: jsonBodyOnly };

  app.post('/auth/password/change', {
    ...signedIn,
    schema: { summary: 'Change the password (current one required); the account\'s other sessions end', tags, security: [{ bearerAuth: [] }], body: ChangePasswordBody, response: { 204: { type: 'null' }, ...errors } },
  }, async (request, response) => {
    await passwords.change(request.tenant, request.issuer, accessTokenOf(request), request.body as ChangePasswordBody, { ip: request.ip });
    return response.code(204).send();
  });

  app.post('/auth/email/verify/start', {
    config: { errorProfile: 'bearer' as const },
    onRequest: [noStore, csrf],
    schema: { summary: 'Mail a code that proves the signed-in user\'s email', tags, security: [{ bearerAuth: [] }], response: { 204: { type: 'null' }, ...errors } },
  }, async (request, response) => {
    const { user } = await users.authenticate(request.tenant, request.issuer, accessTokenOf(request));
    await users.startOtp(request.tenant, { email: user.email }, { ip: request.ip }, 'verify');
    return response.code(204).send();
  });

  app.post('/auth/email/verify', {
    ...signedIn,
    schema: { summary: 'Prove the signed-in user\'s email with the mailed code (the password stays)', tags, security: [{ bearerAuth: [] }], body: VerifyEmailBody, response: { 204: { type: 'null' }, ...errors } },
  }, async (request, response) => {
    await users.verifyEmail(request.tenant, request.issuer, accessTokenOf(request), (request.body as VerifyEmailBody).code, { ip: request.ip });
    return response.code(204).send();
  });

  app.get('/auth/session', {
    config: { errorProfile: 'bearer' as const },
    onRequest: noStore,
    schema: { summary: 'The signed-in user and session', tags, security: [{ bearerAuth: [] }], response: { 200: SessionBody, ...errors } },
  }, async (request) => {
    const { user, session } = await users.authenticate(request.tenant, request.issuer, accessTokenOf(request));
    const seconds = (ms: number) => Math.floor(ms / 1000);
    return {
      user: { id: user.id, email: user.email, email_verified: user.emailVerified },
      session: { id: session.id, created_at: seconds(session.createdAt), last_used_at: seconds(session.lastUsedAt), expires_at: seconds(session.expiresAt) },
    };
  });
}
