import { GatewayError } from '../../errors.js';

export function cosmosStatus(e: unknown): unknown {
  return typeof e === 'object' && e !== null ? (e as { code?: unknown }).code : undefined;
}

export function chainUnavailable(cause: unknown): GatewayError {
  return new GatewayError('audit_unavailable', 'The audit chain store is unavailable.', { cause });
}
