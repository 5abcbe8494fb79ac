import { errors } from 'jose';

/**
 * Turns a jose failure into a short reason code for logs. The caller never sees it: every
 * failure reaches them as the same generic InvalidTokenError.
 */
export function tokenFailureReason(error: unknown): string {
  if (error instanceof errors.JWTExpired) return 'expired';
  if (error instanceof errors.JWTClaimValidationFailed) return claimFailureReason(error.claim);
  if (error instanceof errors.JOSEAlgNotAllowed) return 'alg_not_allowed';
  if (error instanceof errors.JWKSNoMatchingKey) return 'unknown_key';
  if (error instanceof errors.JWKSMultipleMatchingKeys) return 'ambiguous_key';
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'bad_signature';
  if (error instanceof errors.JWKSTimeout) return 'keys_unavailable';
  if (error instanceof errors.JWKSInvalid) return 'keys_unavailable';
  if (error instanceof errors.JWSInvalid || error instanceof errors.JWTInvalid) return 'malformed';
  if (error instanceof errors.JOSENotSupported) return 'unsupported';
  if (error instanceof errors.JOSEError) return 'rejected';
  // Not a verdict on the token (network down, a bug): still refused, flagged apart for logs.
  return 'verification_error';
}

function claimFailureReason(claim: string): string {
  switch (claim) {
    case 'nbf':
      return 'not_yet_valid';
    case 'iss':
      return 'wrong_issuer';
    case 'aud':
      return 'wrong_audience';
    default:
      return `invalid_claim_${claim}`;
  }
}
