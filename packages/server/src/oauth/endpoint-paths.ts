/** Paths of the token endpoint: RFC 6749 style and the IdentityServer path integrators know. */
export const TOKEN_ENDPOINT_PATHS = ['/oauth/token', '/connect/token'] as const;
