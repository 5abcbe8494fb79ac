import { type GatewayError, toGatewayError } from '../errors.js';

/**
 * The framework-free request the core handles. `@azure/functions` HttpRequest satisfies it
 * structurally, and so does the local host's adapter, so both call the very same core.
 */
export interface ApiRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: { get(name: string): string | null };
  readonly params: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
  text(): Promise<string>;
}

export interface ApiResponse {
  status: number;
  headers: Record<string, string>;
  /** JSON body; undefined for an empty body. */
  body?: unknown;
  /** A text body sent as is (the approval page's HTML, its scripts); takes the place of `body`. */
  text?: string;
}

export interface ErrorBody {
  requestId: string;
  error: { code: string; message: string; [key: string]: unknown };
}

export function jsonResponse(
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): ApiResponse {
  return {
    status,
    headers: {
      'content-type': 'application/json; charset=utf-8',
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      ...headers,
    },
    body,
  };
}

export function errorResponse(
  requestId: string,
  error: unknown,
  headers: Record<string, string> = {},
): { response: ApiResponse; error: GatewayError } {
  const e = toGatewayError(error);
  const body: ErrorBody = { requestId, error: { code: e.code, message: e.message, ...(e.details ?? {}) } };
  return { response: jsonResponse(e.status, body, { 'x-request-id': requestId, ...headers }), error: e };
}
