import { createHash } from 'node:crypto';

/**
 * One token, one identity. A compact JWS is `header.payload.signature`, and the signature
 * segment of one and the same token can be spelled in more than one way that still
 * verifies: an ES256 signature (r, s) is equally valid as (r, n - s) (ECDSA malleability),
 * and base64url decoders ignore the unused low bits of the last character. The signing
 * input `header.payload` is what the issuer signed; it cannot change without breaking
 * every signature, so that is what names the token.
 */

/** The signing input of a compact JWS: its first two segments, `header.payload`. */
export function signingInput(token: string): string {
  const first = token.indexOf('.');
  const last = token.indexOf('.', first + 1);
  const wellFormed =
    first > 0 && last > first + 1 && last < token.length - 1 && token.indexOf('.', last + 1) === -1;
  if (!wellFormed) throw new TypeError('Not a compact JWS: expected three non-empty segments.');
  return token.slice(0, last);
}

/**
 * A stable name for a token, whatever the encoding of its signature: the hex SHA-256 of
 * `header.payload`. Audit records and rate limits can use it to refer to a token without
 * holding the token. It says nothing about validity: use it only for a token that was
 * verified, since a forgery with a copied `header.payload` has the same identity.
 */
export function tokenIdentity(token: string): string {
  return sha256Hex(signingInput(token));
}

/**
 * The token's identity and a digest of its signature segment exactly as presented (one
 * spelling of the signature), for the verified-token cache.
 */
export function tokenDigests(token: string): { identity: string; signature: string } {
  const input = signingInput(token);
  return { identity: sha256Hex(input), signature: sha256Hex(token.slice(input.length + 1)) };
}

function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}
