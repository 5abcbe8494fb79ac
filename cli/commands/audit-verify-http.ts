import { z } from 'zod';
import type { CheckpointStore, StoredCheckpoint } from '../../shared/audit/chain/checkpoint-store.js';
import type { LaneHead, LaneHeadStore } from '../../shared/audit/chain/lane-head-store.js';
import type { AuditLaneReader } from '../../shared/audit/chain/lane-reader.js';
import { type CheckpointPublicJwk, jwksSchema } from '../../shared/audit/chain/signers.js';
import type { AuditEvent } from '../../shared/audit/event.js';
import type { AuditVerifySource } from './audit-verify.js';

/**
 * The chain of a running gateway, read through its export routes with an auditor's token:
 * the same verifier as against the stores, over HTTP. Nothing read is trusted; answers are
 * only checked for shape so that a broken gateway is a clear error, not a false finding.
 */

const hashText = z.string().max(128);

const headsSchema = z.object({
  lanes: z.number().int().min(1).max(4096),
  heads: z.array(z.object({ lane: z.number().int(), length: z.number().int(), hash: hashText }).nullable()),
});

const lanePageSchema = z.object({
  lane: z.number().int(),
  events: z.array(z.object({ event: z.record(z.string(), z.unknown()), attestedHash: hashText.optional() })),
  next: z.number().int().nonnegative().optional(),
});

const checkpointPageSchema = z.object({
  checkpoints: z.array(
    z.object({ seq: z.number().int(), time: z.string(), hash: z.string(), note: z.string().max(64 * 1024) }),
  ),
  next: z.number().int().nonnegative().optional(),
});

export class ExportRouteError extends Error {
  override name = 'ExportRouteError';
}

export interface HttpSourceOptions {
  /** The gateway's base URL, without `/api`. */
  baseUrl: string;
  token: string;
  timeoutMs?: number;
  fetch?: typeof fetch;
}

/** A page budget per lane: far above any real lane, so a gateway cannot keep us paging forever. */
const MAX_PAGES = 100_000;

export async function httpVerifySource(options: HttpSourceOptions): Promise<{
  source: Omit<AuditVerifySource, 'keys'>;
  jwks: () => Promise<CheckpointPublicJwk[]>;
}> {
  const get = getter(options);
  const { lanes } = headsSchema.parse(await get('/api/v1/audit/lanes'));
  const attested = new WeakMap<AuditEvent, string>();
  const reader: AuditLaneReader = {
    async read(lane, from, to) {
      const out: AuditEvent[] = [];
      let next: number | undefined = from;
      for (let pages = 0; next !== undefined && next < to; pages++) {
        if (pages >= MAX_PAGES) throw new ExportRouteError(`lane ${lane}: too many pages`);
        const q = new URLSearchParams({ from: String(next), to: String(to) });
        const page = lanePageSchema.parse(await get(`/api/v1/audit/lanes/${lane}?${q}`));
        for (const item of page.events) {
          const event = item.event as unknown as AuditEvent;
          if (item.attestedHash !== undefined) attested.set(event, item.attestedHash);
          out.push(event);
        }
        if (page.next !== undefined && page.next <= next) throw new ExportRouteError('page did not advance');
        next = page.next;
      }
      return out;
    },
    attestedHash: (event) => attested.get(event),
  };
  const heads: LaneHeadStore = {
    async get(lane): Promise<LaneHead | null> {
      const view = headsSchema.parse(await get('/api/v1/audit/lanes'));
      const head = view.heads[lane];
      return head ? { ...head, etag: '' } : null;
    },
    set: async () => {
      throw new TypeError('verify never writes');
    },
  };
  const checkpoints: CheckpointStore = {
    async list(fromSeq, limit) {
      const q = new URLSearchParams({ from: String(fromSeq), limit: String(Math.min(limit, 500)) });
      return checkpointPageSchema.parse(await get(`/api/v1/audit/checkpoints?${q}`))
        .checkpoints as StoredCheckpoint[];
    },
    async latest() {
      throw new TypeError('not used by verify');
    },
    async append() {
      throw new TypeError('verify never writes');
    },
  };
  return {
    source: { lanes, reader, checkpoints, heads, live: true },
    jwks: async () => {
      const parsed = jwksSchema.safeParse(await get('/api/v1/audit/jwks', false));
      if (!parsed.success) throw new ExportRouteError('the gateway JWKS is not a set of ES256 P-256 keys');
      return parsed.data.keys;
    },
  };
}

function getter(options: HttpSourceOptions): (path: string, auth?: boolean) => Promise<unknown> {
  const doFetch = options.fetch ?? fetch;
  return async (path, auth = true) => {
    const res = await doFetch(`${options.baseUrl}${path}`, {
      headers: auth ? { authorization: `Bearer ${options.token}` } : {},
      redirect: 'error',
      signal: AbortSignal.timeout(options.timeoutMs ?? 60_000),
    });
    const text = await res.text();
    if (!res.ok) {
      let reason = text.slice(0, 300);
      try {
        const body = JSON.parse(text) as { error?: { code?: string; message?: string } };
        if (body.error?.code) reason = `${body.error.code}: ${body.error.message ?? ''}`;
      } catch {
        // not JSON: the raw text start is the reason
      }
      throw new ExportRouteError(`GET ${path} answered ${res.status} (${reason})`);
    }
    try {
      return JSON.parse(text);
    } catch {
      throw new ExportRouteError(`GET ${path} did not answer JSON`);
    }
  };
}
