import cookie from '@fastify/cookie';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { extractAccessToken } from '@keymint/sdk/node';
import { InvalidGrant, InvalidToken, MissingToken } from '../errors.js';
import { readCookie } from '../http/cookies.js';
import { errorResponses as errors } from '../http/error-body.js';
import { toKeymintError } from '../http/errors.js';
import { jsonBodyOnly } from '../http/json-only.js';
import { noStore } from '../http/no-store.js';
import { publicRequestUrl, type DpopService } from '../oauth/dpop.js';
import type { Accounts } from './accounts.js';
import { corsHook, csrfHook } from './browser-guard.js';
import { clearSessionCookies, cookieNames, setSessionCookies } from './cookies.js';
import { sessionTokensJson, type SessionTokens } from './model.js';
import type { OneTimeCodes } from './otp-codes.js';
import type { PasswordService } from './passwords.js';
import {
  ChangePasswordBody, CredentialsBody, OtpStartBody, OtpVerifyBody, RefreshBody, ResetPasswordBody, SessionBody, SessionTokensBody, SignInBody, SignOutBody, VerifyEmailBody,
} from './schemas.js';
import type { SessionCredentials } from './session-credentials.js';
import type { UserSessions } from './sessions.js';
import { endUserSettings } from './settings.js';
import type { EndUserTokenCheck } from './token-check.js';

const tags = ['end users'];
const NoContent = Type.Null();

function cookieMode(request: FastifyRequest): boolean {
  return endUserSettings(request.tenant).tokenMode === 'cookie';
}

/** What the `/auth` routes use: the end-user capabilities (users/service.ts builds them). */
export interface UserRoutesOptions {
  accounts: Accounts;
  codes: OneTimeCodes;
  sessions: UserSessions;
  tokenCheck: EndUserTokenCheck;
  passwords: PasswordService;
  sessionCredentials: SessionCredentials;
  /** RFC 9449: a proof at the session-opening routes binds the session. */
  dpop: DpopService;
  now: () => number;
}

/**
 * `/t/:tenant/auth/…`: the end-user endpoints (DESIGN "End-user endpoints"). Thin: parse, call
 * the capability, then answer in the tenant's token mode (JSON tokens, or HTTP-only cookies).
 */
export const userRoutes: FastifyPluginAsyncTypebox<UserRoutesOptions> = async (app, { accounts, codes, sessions, tokenCheck, passwords, sessionCredentials, dpop, now }) => {
  await app.register(cookie);
  app.addHook('onRequest', corsHook());
  const csrf = csrfHook();

  /**
   * RFC 9449 §5: the thumbprint of a valid `DPoP` proof for this route (htm, htu, iat, jti once,
   * alg, nonce when KEYMINT_DPOP_NONCE=on), which binds the session it opens or refreshes; null
   * without one. Checked before the credentials, so a refused proof spends no code or token.
   */
  const proofKey = (request: FastifyRequest) => dpop.bindTokenRequest(request, false);

  /**
   * The access token of a signed-in route: the Authorization header (RFC 9449 §7.1: a bound token
   * only as `DPoP` with a proof by its key for this request, an unbound one only as `Bearer`) or,
   * in cookie mode, the access cookie (never bound: users/session-issuer.ts).
   */
  async function presentedAccessToken(request: FastifyRequest): Promise<string | undefined> {
    const header = request.headers.authorization;
    if (header === undefined || header === '') return readCookie(request, cookieNames(request.issuer).access);
    let presented: { scheme: 'Bearer' | 'DPoP'; token: string };
    try {
      presented = extractAccessToken({ authorization: header }, true);
    } catch (error) {
      throw toKeymintError(error);
    }
    await tokenCheck.checkPresentation(request.tenant, request.issuer, { ...presented, proof: request.headers.dpop, method: request.method, url: publicRequestUrl(request) });
    return presented.token;
  }

  async function accessTokenOf(request: FastifyRequest): Promise<string> {
    const token = await presentedAccessToken(request);
    if (token === undefined) throw new MissingToken('this request needs the access token (Bearer header or cookie)');
    return token;
  }

  /** Session tokens in the tenant's token mode: all in the JSON body, or access and refresh tokens in HTTP-only cookies. */
  function sessionAnswer(request: FastifyRequest, response: FastifyReply, tokens: SessionTokens) {
    if (!cookieMode(request)) return sessionTokensJson(tokens);
    setSessionCookies(response, request.issuer, tokens, now());
    return { identity_token: tokens.identityToken, expires_in: tokens.expiresIn, refresh_reuse_grace: tokens.refreshReuseGrace, user: tokens.user };
  }

  // CORS preflight for every /auth route; the onRequest hook above adds the allow headers.
  app.options('/auth/*', { schema: { hide: true, response: { 204: NoContent } } }, async (_request, response) => response.code(204).send(null));

  // Before sign-in: errors as RFC 6749 §5.2 (invalid_grant…). Signed in: as RFC 6750 §3.1 (invalid_token…).
  const post = { config: { errorProfile: 'oauth' as const }, onRequest: [noStore, csrf], preValidation: jsonBodyOnly };
  const signedIn = { config: { errorProfile: 'bearer' as const }, onRequest: [noStore, csrf] };

  app.post('/auth/signup', {
    ...post,
    schema: { summary: 'Sign up with email and password', tags, body: CredentialsBody, response: { 201: SessionTokensBody, ...errors } },
  }, async (request, response) => response.code(201).send(sessionAnswer(request, response, await accounts.signUp(request.tenant, request.issuer, request.body, { ip: request.ip }, await proofKey(request)))));

  app.post('/auth/signin', {
    ...post,
    schema: { summary: 'Sign in with email and password (and a mailed code to prove the email)', tags, body: SignInBody, response: { 200: SessionTokensBody, ...errors } },
  }, async (request, response) => sessionAnswer(request, response, await accounts.signIn(request.tenant, request.issuer, request.body, { ip: request.ip }, await proofKey(request))));

  app.post('/auth/password/reset', {
    ...post,
    schema: { summary: 'Set a new password with a mailed code (from /auth/otp/start) and sign in; other sessions end', tags, body: ResetPasswordBody, response: { 200: SessionTokensBody, ...errors } },
  }, async (request, response) => sessionAnswer(request, response, await passwords.reset(request.tenant, request.issuer, request.body, { ip: request.ip }, await proofKey(request))));

  app.post('/auth/otp/start', {
    ...post,
    schema: { summary: 'Mail a one-time sign-in code', tags, body: OtpStartBody, response: { 204: NoContent, ...errors } },
  }, async (request, response) => {
    await codes.send(request.tenant, request.body.email, { ip: request.ip }, request.body.purpose);
    return response.code(204).send(null);
  });

  app.post('/auth/otp/verify', {
    ...post,
    schema: { summary: 'Sign in (or up) with a mailed code', tags, body: OtpVerifyBody, response: { 200: SessionTokensBody, ...errors } },
  }, async (request, response) => sessionAnswer(request, response, await accounts.verifyOtp(request.tenant, request.issuer, request.body, { ip: request.ip }, await proofKey(request))));

  app.post('/auth/refresh', {
    ...post,
    schema: { summary: 'Rotate the refresh token for new session tokens', tags, body: RefreshBody, response: { 200: SessionTokensBody, ...errors } },
  }, async (request, response) => {
    const inCookies = cookieMode(request);
    const token = inCookies ? readCookie(request, cookieNames(request.issuer).refresh) : request.body.refresh_token;
    // Outside the try: a refused proof says nothing about the session, so its cookies stay.
    const jkt = await proofKey(request);
    try {
      return sessionAnswer(request, response, await sessions.refresh(request.tenant, request.issuer, token, jkt));
    } catch (error) {
      // A dead session's cookies are useless: drop them so the browser stops sending them. Only
      // then: after a 5xx the refresh token may well be unspent, and the session alive.
      if (inCookies && error instanceof InvalidGrant) clearSessionCookies(response, request.issuer);
      throw error;
    }
  });

  app.post('/auth/signout', {
    ...signedIn,
    schema: {
      summary: 'Sign out: revoke the session (refresh token in the body or cookie, or the access token)',
      tags,
      security: [{ bearerAuth: [] }, {}],
      body: SignOutBody,
      response: { 204: NoContent, ...errors },
    },
  }, async (request, response) => {
    const inCookies = cookieMode(request);
    const refreshToken = request.body?.refresh_token ?? (inCookies ? readCookie(request, cookieNames(request.issuer).refresh) : undefined);
    // With a refresh token, that decides; an access token that fails its checks (expired, say) is then left out.
    const accessToken = refreshToken === undefined ? await presentedAccessToken(request) : await presentedAccessToken(request).catch(() => undefined);
    try {
      await sessionCredentials.signOut(request.tenant, request.issuer, { refreshToken, accessToken });
    } catch (error) {
      // Cookies that name no live session are useless: drop them. On a 5xx they stay, so a retry can still end the session.
      if (inCookies && error instanceof InvalidToken) clearSessionCookies(response, request.issuer);
      throw error;
    }
    if (inCookies) clearSessionCookies(response, request.issuer);
    return response.code(204).send(null);
  });

  app.post('/auth/password/change', {
    ...signedIn,
    preValidation: jsonBodyOnly,
    schema: { summary: 'Change the password (current one required); the account\'s other sessions end', tags, security: [{ bearerAuth: [] }], body: ChangePasswordBody, response: { 204: NoContent, ...errors } },
  }, async (request, response) => {
    await passwords.change(request.tenant, request.issuer, await accessTokenOf(request), request.body, { ip: request.ip });
    return response.code(204).send(null);
  });

  app.post('/auth/email/verify/start', {
    ...signedIn,
    schema: { summary: 'Mail a code that proves the signed-in user\'s email', tags, security: [{ bearerAuth: [] }], response: { 204: NoContent, ...errors } },
  }, async (request, response) => {
    await accounts.startEmailProof(request.tenant, request.issuer, await accessTokenOf(request), { ip: request.ip });
    return response.code(204).send(null);
  });

  app.post('/auth/email/verify', {
    ...signedIn,
    preValidation: jsonBodyOnly,
    schema: { summary: 'Prove the signed-in user\'s email with the mailed code (the password stays)', tags, security: [{ bearerAuth: [] }], body: VerifyEmailBody, response: { 204: NoContent, ...errors } },
  }, async (request, response) => {
    await accounts.verifyEmail(request.tenant, request.issuer, await accessTokenOf(request), request.body.code, { ip: request.ip });
    return response.code(204).send(null);
  });

  app.get('/auth/session', {
    config: { errorProfile: 'bearer' as const },
    onRequest: noStore,
    schema: { summary: 'The signed-in user and session', tags, security: [{ bearerAuth: [] }], response: { 200: SessionBody, ...errors } },
  }, async (request) => {
    const { user, session } = await tokenCheck.authenticate(request.tenant, request.issuer, await accessTokenOf(request));
    const seconds = (ms: number) => Math.floor(ms / 1000);
    return {
      user: { id: user.id, email: user.email, email_verified: user.emailVerified },
      session: { id: session.id, created_at: seconds(session.createdAt), last_used_at: seconds(session.lastUsedAt), expires_at: seconds(session.expiresAt) },
    };
  });
};
