import { InvalidTokenError } from '../errors.js';

/** Entra tokens with many claims stay far below this; anything larger is refused unparsed. */
export const MAX_TOKEN_LENGTH = 16 * 1024;

/** A signed JWS in compact form: three non-empty base64url segments (an unsigned token has none). */
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/**
 * Takes the token out of an `Authorization` header (RFC 6750 section 2.1) and refuses,
 * before any parsing, what cannot be a token we would accept.
 */
export function extractBearerToken(authorization: string | null | undefined): string {
  const header = authorization?.trim() ?? '';
  if (header === '') throw new InvalidTokenError('missing');

  const space = header.indexOf(' ');
  const scheme = space < 0 ? header : header.slice(0, space);
  if (scheme.toLowerCase() !== 'bearer') throw new InvalidTokenError('not_bearer');

  const token = space < 0 ? '' : header.slice(space + 1).trim();
  // Length before the pattern, so a huge header costs no more than one comparison.
  if (token.length > MAX_TOKEN_LENGTH) throw new InvalidTokenError('too_large');
  if (!COMPACT_JWS.test(token)) throw new InvalidTokenError('malformed');
  return token;
}

/**
 * The `WWW-Authenticate` value for a 401. RFC 6750 section 3.1: a request that carried no
 * credentials gets no error code; one that carried a bad token gets `invalid_token`. The
 * reason itself is for logs only and never goes to the caller.
 */
export function wwwAuthenticate(error?: InvalidTokenError): string {
  if (error === undefined || error.reason === 'missing') return 'Bearer realm="agentgate"';
  return 'Bearer realm="agentgate", error="invalid_token"';
}
