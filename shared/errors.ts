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
  result_too_large: 422,
  /** The caller already has as many statements in flight as one caller may (REST adds Retry-After). */
  too_many_requests: 429,
  /** The caller already has as many requests waiting for approval as one caller may. */
  too_many_pending: 429,
  internal: 500,
  masking_failed: 500,
  policy_error: 500,
  approval_workflow_unavailable: 501,
  target_unavailable: 502,
  audit_unavailable: 503,
  store_unavailable: 503,
  queue_unavailable: 503,
  query_timeout: 504,
  /** Answered by the Functions entry when the gateway cannot be composed (bad settings, config, policies). */
  gateway_unavailable: 503,
  /** MCP only: the token lacks the app role or scope the MCP endpoint asks for. */
  insufficient_scope: 403,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

/** What an operator reads about a code: what it means and what to do. */
export interface ErrorDoc {
  meaning: string;
  action: string;
}

/**
 * The one description of every code: `npm run docs:errors` writes the error table of
 * docs/operations.md from it, and a test fails when that table is out of date.
 */
export const ERROR_DOCS = {
  approval_required: {
    meaning: 'Not a failure: policy sent the request to people; it is stored and nothing ran.',
    action: 'Follow `statusUrl` (`agentgate requests status ID`); fetch the result once approved.',
  },
  bad_request: {
    meaning: 'A route value, query parameter or continuation token is invalid.',
    action: 'Fix the request; the message names what is wrong.',
  },
  invalid_body: {
    meaning:
      'The JSON body is not valid JSON or does not match the route (query: `{sql, params?, maxRows?, purpose?, callbackUrl?}`).',
    action: 'Fix the body; the message lists the fields at fault.',
  },
  unparseable_statement: {
    meaning: 'The statement is empty or the SQL parser rejected it.',
    action: 'Fix the SQL; the message gives the parser error and position.',
  },
  statement_refused: {
    meaning:
      'The statement is too long, too large or deeply nested to analyse (details name the bound), or uses a T-SQL construct outside the allowlist.',
    action: 'Split it into smaller statements, or rewrite it without the construct.',
  },
  callback_refused: {
    meaning:
      'The `callbackUrl` breaks a rule: not https, a host off `approvals.callbacks.allowedHosts`, credentials, a fragment, an IP literal or a port not allowed (`reason` says which), or callbacks are not configured.',
    action: 'Use an https URL on an allowlisted host and port, or ask the operator to allow the host.',
  },
  invalid_token: {
    meaning: 'The bearer token is missing, malformed, expired or not trusted. The answer never says why.',
    action:
      'The reason is in the warn log line and the audit record (`agentgate audit show ID`); check issuer, audience, expiry and clock.',
  },
  forbidden: {
    meaning:
      'The caller is known but may not do this (read the audit trail, decide a request, use the dev sign-in).',
    action: 'Use a principal with the right group or role.',
  },
  policy_denied: {
    meaning: 'A `forbid` matched, or no `permit` did; `policyIds` and `reasons` say which.',
    action: 'Rewrite the statement as the reason says, or change the policy (`agentgate policy check`).',
  },
  insufficient_scope: {
    meaning: 'MCP only: the token lacks the `Agent.Query` app role (or the `Query.Read` scope).',
    action: 'Grant the role or scope to the client in Entra.',
  },
  not_found: {
    meaning: 'No such route, request, result or audit record (also what a stranger to a request sees).',
    action: 'Check the id and the route.',
  },
  connection_not_found: {
    meaning: 'No connection with that id is configured.',
    action: 'List them with `GET /api/v1/connections`; check `AGENTGATE_CONFIG`.',
  },
  method_not_allowed: {
    meaning: 'The route exists but not with this HTTP method (local host).',
    action: 'Use the method the API table gives.',
  },
  conflict: {
    meaning: 'The request is no longer pending, or its result is not ready.',
    action: 'Read its status first (`GET /api/v1/requests/{id}`).',
  },
  payload_too_large: {
    meaning: 'The request body is over the limit (256 KB).',
    action: 'Send a shorter statement or fewer parameters.',
  },
  unsupported_media_type: {
    meaning: 'The body is not `application/json`.',
    action: 'Send `content-type: application/json`.',
  },
  query_failed: {
    meaning:
      'The database rejected the statement, while estimating or executing; its message is shown, no data.',
    action: 'Fix the statement (unknown column, type error, ...).',
  },
  result_too_large: {
    meaning:
      "The target's answer was larger than the connection's `maxReadBytes` (64 MiB by default) lets the gateway read for one request; nothing was released.",
    action:
      'Read fewer rows, fewer or narrower columns; an operator may raise `maxReadBytes` on the connection.',
  },
  too_many_requests: {
    meaning:
      'The caller already has as many statements in flight on this gateway instance as `limits.concurrentQueriesPerPrincipal` allows (4 by default); nothing ran.',
    action:
      'Wait for a running statement to end (`Retry-After` says how long to wait) and send fewer at once; an operator may raise the limit.',
  },
  too_many_pending: {
    meaning:
      'The caller already has as many requests waiting for approval as `limits.pendingApprovalsPerPrincipal` allows (10 by default); this one was not stored and nothing ran.',
    action:
      'Wait for approvers to decide, or cancel one of yours (`DELETE /api/v1/requests/{id}`); an operator may raise the limit.',
  },
  internal: {
    meaning: 'An unexpected failure in the gateway; nothing was released.',
    action: 'Find the error log line by request id; it has the cause.',
  },
  masking_failed: {
    meaning: 'A cell could not be masked; no rows were released.',
    action: 'Find the error log line by request id; check the classification and masking operators.',
  },
  policy_error: {
    meaning: 'The policies gave an outcome the gateway cannot act on (invalid approval annotations, say).',
    action: 'Run `agentgate policy validate`; fix the annotations the message names.',
  },
  approval_workflow_unavailable: {
    meaning:
      'Policy asked for approval (or an approval route was called) on a host without the approval workflow.',
    action:
      'Set `SERVICEBUS__fullyQualifiedNamespace` and `AGENTGATE_APPROVAL_BASE_URL`, or change the policy.',
  },
  target_unavailable: {
    meaning: 'The target database could not be reached or logged into, or its kind has no adapter yet.',
    action: 'Run `agentgate doctor --connection ID`; check network, credential and the target itself.',
  },
  audit_unavailable: {
    meaning: 'The audit event could not be written, so nothing was released (no audit, no data).',
    action: "Check Cosmos DB (the `audit` container, the identity's data role, throttling); see the runbook.",
  },
  store_unavailable: {
    meaning: 'The request, result or budget store, or the approval queue, could not be read or written.',
    action: 'Check Cosmos DB and Service Bus; retry.',
  },
  queue_unavailable: {
    meaning: 'Approvers could not be asked, or a decision could not be queued; nothing ran.',
    action: "Check Service Bus (namespace, the identity's sender role); retry.",
  },
  gateway_unavailable: {
    meaning: 'The Functions entry could not compose the gateway (settings, config or policies are invalid).',
    action: 'The error log line `agentgate failed to start` has the cause; fix the setting or file it names.',
  },
  query_timeout: {
    meaning: "The statement ran past the connection's `statementTimeoutMs` and was cancelled.",
    action: "Narrow the statement (WHERE, LIMIT) or raise the connection's timeout.",
  },
} as const satisfies Record<ErrorCode, ErrorDoc>;

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
