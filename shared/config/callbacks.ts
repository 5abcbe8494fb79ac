import { z } from 'zod';

/** A DNS host name as URL parsing leaves it: lower case, no port, no trailing dot. */
const hostName = z
  .string()
  .min(1)
  .max(253)
  .regex(/^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/, 'a host name');

/**
 * Where agentgate may POST the notice of a finished approval request (`callbackUrl`). Hosts
 * are matched exactly (no wildcards); nothing is allowed when the list is empty. `localhost`,
 * `127.0.0.1` and `::1` in this list only work on the local host (dev mode).
 */
export const callbacksConfigSchema = z
  .object({
    allowedHosts: z
      .array(z.union([hostName, z.literal('::1')]))
      .max(100)
      .default([]),
    /** Ports a callback URL may name; the https default (443) when absent. Loopback in dev: any. */
    allowedPorts: z.array(z.number().int().min(1).max(65535)).max(20).default([443]),
  })
  .strict();

export type CallbacksConfig = z.output<typeof callbacksConfigSchema>;

export const approvalsConfigSchema = z.object({ callbacks: callbacksConfigSchema.optional() }).strict();
