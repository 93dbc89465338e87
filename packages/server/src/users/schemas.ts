import { Type, type Static } from '@sinclair/typebox';

/** End-user endpoint schemas (DESIGN "End-user endpoints"): validation, serialization, OpenAPI. */
const Email = Type.String({ minLength: 3, maxLength: 320 });

const Code = Type.String({ minLength: 1, maxLength: 12, description: 'the digits mailed to the address' });
const Password = Type.String({ minLength: 1, maxLength: 256 });

export const CredentialsBody = Type.Object({ email: Email, password: Password }, { additionalProperties: false });
export type CredentialsBody = Static<typeof CredentialsBody>;

/** Sign-in: a `code` mailed to the address, sent with the password, proves the email and keeps the password. */
export const SignInBody = Type.Object({ email: Email, password: Password, code: Type.Optional(Code) }, { additionalProperties: false });
export type SignInBody = Static<typeof SignInBody>;

export const VerifyEmailBody = Type.Object({ code: Code }, { additionalProperties: false });
export type VerifyEmailBody = Static<typeof VerifyEmailBody>;

export const ChangePasswordBody = Type.Object({ current_password: Password, new_password: Password }, { additionalProperties: false });
export type ChangePasswordBody = Static<typeof ChangePasswordBody>;

export const ResetPasswordBody = Type.Object({ email: Email, code: Code, new_password: Password }, { additionalProperties: false });
export type ResetPasswordBody = Static<typeof ResetPasswordBody>;

export const OtpStartBody = Type.Object({
  email: Email,
  purpose: Type.Optional(Type.Union([Type.Literal('sign-in'), Type.Literal('reset')], { description: 'words the mail only: every code signs in and resets the password' })),
}, { additionalProperties: false });
export type OtpStartBody = Static<typeof OtpStartBody>;

export const OtpVerifyBody = Type.Object({ email: Email, code: Type.String({ minLength: 1, maxLength: 12 }) }, { additionalProperties: false });
export type OtpVerifyBody = Static<typeof OtpVerifyBody>;

/** Bearer mode sends the refresh token in the body; cookie mode sends it as a cookie and `{}` here. */
export const RefreshBody = Type.Object({ refresh_token: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })) }, { additionalProperties: false });
export type RefreshBody = Static<typeof RefreshBody>;

/** Sign-out: bearer mode may send the refresh token (it outlives the access token); cookie mode sends the cookie. */
export const SignOutBody = Type.Union([
  Type.Object({ refresh_token: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })) }, { additionalProperties: false }),
  Type.Null(),
]);
export type SignOutBody = Static<typeof SignOutBody>;

const User = Type.Object({
  id: Type.String(),
  email: Type.String(),
  email_verified: Type.Boolean({ description: 'whether the owner of the email proved it with a mailed code' }),
});

/** Bearer mode: every token; cookie mode: no access or refresh token (they are in HTTP-only cookies). */
export const SessionTokensBody = Type.Object({
  access_token: Type.Optional(Type.String()),
  identity_token: Type.String({ description: 'Profile claims (email…), typ id+jwt: not an access token' }),
  refresh_token: Type.Optional(Type.String()),
  token_type: Type.Optional(Type.Union([Type.Literal('Bearer'), Type.Literal('DPoP')], { description: 'DPoP: the access token is bound to the key of the request\'s DPoP proof (RFC 9449 §5)' })),
  expires_in: Type.Integer({ description: 'Seconds the access token lives' }),
  refresh_reuse_grace: Type.Integer({ description: 'Seconds a spent refresh token is still honoured: a refresh whose answer was lost may be retried this long (docs/end-users.md)' }),
  user: User,
});

export const SessionBody = Type.Object({
  user: User,
  session: Type.Object({
    id: Type.String(),
    created_at: Type.Integer({ description: 'epoch seconds' }),
    last_used_at: Type.Integer({ description: 'epoch seconds' }),
    expires_at: Type.Integer({ description: 'epoch seconds: absolute end of the session' }),
  }),
});

/** `error` is absent only on a 401 to a request without credentials (RFC 6750 §3.1). */
