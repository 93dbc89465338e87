import { Type, type Static } from '@sinclair/typebox';
import { MAX_CREDENTIALS_PER_REPORT } from './service.js';

/** Longer than any Keymint credential (42 characters); anything longer is not one of ours. */
const Credential = Type.String({ minLength: 1, maxLength: 200 });

/**
 * GitHub's secret-scanning report (docs.github.com "Secret scanning partner program"): the matches
 * of the patterns a deployment registered. Read after the signature over the raw body is verified.
 */
export const GitHubLeakReport = Type.Array(
  Type.Object({
    token: Credential,
    type: Type.String({ maxLength: 200 }),
    url: Type.Optional(Type.String({ maxLength: 2048 })),
    source: Type.Optional(Type.String({ maxLength: 100 })),
  }),
  { minItems: 1, maxItems: MAX_CREDENTIALS_PER_REPORT },
);
export type GitHubLeakReport = Static<typeof GitHubLeakReport>;

/** The headers GitHub signs its reports with. */
export const GitHubSignatureHeaders = Type.Object({
  'github-public-key-identifier': Type.String({ minLength: 1, maxLength: 200 }),
  'github-public-key-signature': Type.String({ minLength: 1, maxLength: 400 }),
});

/** GitHub's expected answer: one label per reported token (true_positive: it was live and is now revoked). */
export const GitHubLeakAnswer = Type.Array(Type.Object({
  token_raw: Type.String(),
  token_type: Type.String(),
  label: Type.Union([Type.Literal('true_positive'), Type.Literal('false_positive')]),
}));

/** `POST /v1/credentials/revoke`: credentials someone holds and wants dead. */
export const PublicRevokeBody = Type.Object({
  credentials: Type.Array(Credential, { minItems: 1, maxItems: MAX_CREDENTIALS_PER_REPORT }),
}, { additionalProperties: false });

/** The one answer of the public revoke endpoint, whatever was found. */
export const PublicRevokeAnswer = Type.Object({ status: Type.Literal('accepted') });
