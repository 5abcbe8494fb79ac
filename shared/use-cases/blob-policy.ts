import type { BlobConnectionConfig } from '../config/blob-connection.js';
import type { BlobFormat } from '../connectors/blob/parse.js';
import type { BlobPath } from '../connectors/blob/path.js';
import type { BlobProperties } from '../connectors/blob/port.js';
import type { PolicyEngine } from '../policy/index.js';
import type { ConnectionResource, ContextValue, Decision, Principal } from '../types.js';

/** The Cedar resource of a blob connection: a Connection whose engine is `blob`. */
export function blobResource(c: BlobConnectionConfig): ConnectionResource {
  return { type: 'Connection', id: c.id, engine: 'blob', environment: c.environment, tags: c.tags };
}

interface Common {
  policy: PolicyEngine;
  principal: Principal;
  connection: BlobConnectionConfig;
  purpose: string | undefined;
  now: Date;
}

function who(input: Common): Record<string, ContextValue> {
  return {
    purpose: input.purpose ?? '',
    hour: input.now.getUTCHours(),
    onBehalfOf: input.principal.onBehalfOf !== undefined,
  };
}

/** `blob.list` with `BlobListContext` (policies/schema.cedarschema). */
export function decideBlobList(input: Common & { container: string; prefix: string }): Decision {
  return input.policy.decide({
    principal: input.principal,
    action: 'blob.list',
    resource: blobResource(input.connection),
    context: { container: input.container, prefix: input.prefix, ...who(input) },
  });
}

/** Cedar Longs are 64-bit; sizes beyond safe integers do not occur, but are clamped anyway. */
function long(n: number): number {
  return Number.isFinite(n) ? Math.min(Math.max(Math.ceil(n), 0), Number.MAX_SAFE_INTEGER) : 0;
}

/** `blob.read` with `BlobReadContext`. */
export function decideBlobRead(
  input: Common & {
    path: BlobPath;
    props: BlobProperties;
    format: BlobFormat;
    bytesToRead: number;
    ranged: boolean;
  },
): Decision {
  return input.policy.decide({
    principal: input.principal,
    action: 'blob.read',
    resource: blobResource(input.connection),
    context: {
      container: input.path.container,
      path: input.path.name,
      size: long(input.props.size),
      bytesToRead: long(input.bytesToRead),
      ranged: input.ranged,
      contentType: input.props.contentType ?? '',
      format: input.format,
      tags: [...new Set(Object.entries(input.props.tags).map(([k, v]) => `${k}=${v}`))],
      ...who(input),
    },
  });
}
