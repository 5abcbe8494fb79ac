/**
 * One errors module for the whole gateway. Every failure a caller can see has a stable
 * machine-readable `code` and an HTTP status; security failures carry fixed, generic
 * messages so an attacker learns nothing from them. Misuse by our own code is a plain
 * TypeError, kept apart from failures caused by untrusted input.
 */

export const ERROR_STATUS = {
  /** Not an error: the request was stored for approval (REST answers 202). */
  approval_required: 202,
  bad_request: 400,
  invalid_body: 400,
  unparseable_statement: 400,
  statement_refused: 400,
  callback_refused: 400,
  invalid_token: 401,
  forbidden: 403,
  policy_denied: 403,
  not_found: 404,
  connection_not_found: 404,
  method_not_allowed: 405,
  conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  query_failed: 422,
  internal: 500,
  masking_failed: 500,
  policy_error: 500,
  approval_workflow_unavailable: 501,
  target_unavailable: 502,
  audit_unavailable: 503,
  store_unavailable: 503,
  queue_unavailable: 503,
  query_timeout: 504,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

export class GatewayError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  /** Extra machine-readable detail safe to show the caller (never secrets or clear values). */
  readonly details: Record<string, unknown> | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    options?: { cause?: unknown; details?: Record<string, unknown> },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'GatewayError';
    this.code = code;
    this.status = ERROR_STATUS[code];
    this.details = options?.details;
  }
}

/** Authentication failures all look the same from outside; the reason stays in `cause` for logs. */
export class InvalidTokenError extends GatewayError {
  readonly reason: string;
  constructor(reason: string, cause?: unknown) {
    super('invalid_token', 'The access token is missing or invalid.', { cause });
    this.name = 'InvalidTokenError';
    this.reason = reason;
  }
}

export function isGatewayError(e: unknown): e is GatewayError {
  return e instanceof GatewayError;
}

/** Anything unexpected becomes a generic 500 with no internal detail. */
export function toGatewayError(e: unknown): GatewayError {
  if (e instanceof GatewayError) return e;
  return new GatewayError('internal', 'The gateway failed to process the request.', { cause: e });
}
