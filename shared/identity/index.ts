export { extractBearerToken, MAX_TOKEN_LENGTH, wwwAuthenticate } from './bearer.js';
export type { DevIssuer, MintSpec } from './dev-issuer.js';
export { loadOrCreateDevIssuer } from './dev-issuer.js';
export type { KeyResolver } from './key-resolver.js';
export { principalFromClaims } from './principal.js';
export { tokenIdentity } from './token-identity.js';
export { parseTtl } from './ttl.js';
export type { CachingTokenVerifier, TokenVerifier, TokenVerifierOptions } from './verifier.js';
export { createTokenVerifier } from './verifier.js';
