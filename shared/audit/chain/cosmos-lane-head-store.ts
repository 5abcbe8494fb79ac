import type { Container } from '@azure/cosmos';
import { z } from 'zod';
import { withDeadline } from '../../store/deadline.js';
import { chainUnavailable, cosmosStatus } from './cosmos-errors.js';
import type { LaneHead, LaneHeadNext, LaneHeadStore, LaneHeadWrite } from './lane-head-store.js';

const headItem = z.object({
  id: z.string(),
  lane: z.number().int().nonnegative(),
  length: z.number().int().nonnegative(),
  hash: z.string().regex(/^[0-9a-f]{64}$/),
  owner: z.string().min(1).max(200).nullable().optional(),
  wanted: z.boolean().optional(),
  _etag: z.string().min(1),
});

const laneId = (lane: number) => `lane-${lane}`;

/**
 * Lane heads in the `auditLanes` container. A head moves only by a create (first event) or a
 * replace with If-Match on its etag; Cosmos answers 409 / 412 to the loser of a race.
 */
export class CosmosLaneHeadStore implements LaneHeadStore {
  readonly #container: Container;
  readonly #timeoutMs: number;

  constructor(container: Container, options: { timeoutMs?: number } = {}) {
    this.#container = container;
    this.#timeoutMs = options.timeoutMs ?? 15_000;
  }

  async get(lane: number): Promise<LaneHead | null> {
    const id = laneId(lane);
    let resource: unknown;
    try {
      const response = await withDeadline(this.#timeoutMs, (abortSignal) =>
        this.#container.item(id, id).read({ abortSignal }),
      );
      resource = response.resource;
    } catch (e) {
      if (cosmosStatus(e) === 404) return null;
      throw chainUnavailable(e);
    }
    if (resource === undefined) return null;
    // A head that is not what we wrote is refused, never repaired: verify will say why.
    const item = headItem.parse(resource);
    if (item.id !== id || item.lane !== lane)
      throw chainUnavailable(new Error(`lane head ${id} is malformed`));
    return {
      lane,
      length: item.length,
      hash: item.hash,
      etag: item._etag,
      owner: item.owner ?? null,
      wanted: item.wanted ?? false,
    };
  }

  async set(lane: number, next: LaneHeadNext, ifMatch: string | null): Promise<LaneHeadWrite> {
    const id = laneId(lane);
    const body = {
      id,
      lane,
      length: next.length,
      hash: next.hash,
      owner: next.owner ?? null,
      wanted: next.wanted ?? false,
    };
    try {
      const response = await withDeadline(this.#timeoutMs, (abortSignal) =>
        ifMatch === null
          ? this.#container.items.create(body, { abortSignal })
          : this.#container
              .item(id, id)
              .replace(body, { abortSignal, accessCondition: { type: 'IfMatch', condition: ifMatch } }),
      );
      const etag = response.etag ?? (response.resource as { _etag?: string } | undefined)?._etag;
      if (!etag) throw new Error('Cosmos answered no etag');
      return { ok: true, etag };
    } catch (e) {
      const status = cosmosStatus(e);
      if (status === 409 || status === 412 || (ifMatch !== null && status === 404)) {
        return { ok: false, reason: 'conflict' };
      }
      throw chainUnavailable(e);
    }
  }
}
