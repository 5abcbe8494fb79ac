import type { Container } from '@azure/cosmos';
import { z } from 'zod';
import { withDeadline } from '../../store/deadline.js';
import { chainUnavailable, cosmosStatus } from './cosmos-errors.js';
import type { VerifierState, VerifierStateStore, VerifierStateWrite } from './verifier-state.js';

const ID = 'verifier';

const stateItem = z.object({
  id: z.literal(ID),
  anchor: z
    .object({ seq: z.number().int().nonnegative(), hash: z.string().regex(/^[0-9a-f]{64}$/) })
    .nullable(),
  run: z.number().int().nonnegative(),
  ranAt: z.string().min(1),
  _etag: z.string().min(1),
});

/**
 * The verifier's state as one item (`id` = `verifier`) in the `auditLanes` container beside
 * the lane heads (`lane-<n>`): no container to add, and replaced only with If-Match.
 */
export class CosmosVerifierStateStore implements VerifierStateStore {
  readonly #container: Container;
  readonly #timeoutMs: number;

  constructor(container: Container, options: { timeoutMs?: number } = {}) {
    this.#container = container;
    this.#timeoutMs = options.timeoutMs ?? 15_000;
  }

  async get(): Promise<{ state: VerifierState; etag: string } | null> {
    let resource: unknown;
    try {
      const response = await withDeadline(this.#timeoutMs, (abortSignal) =>
        this.#container.item(ID, ID).read({ abortSignal }),
      );
      resource = response.resource;
    } catch (e) {
      if (cosmosStatus(e) === 404) return null;
      throw chainUnavailable(e);
    }
    if (resource === undefined) return null;
    // A state that is not what we wrote fails the run (audited), it is never repaired here.
    const parsed = stateItem.safeParse(resource);
    if (!parsed.success) throw chainUnavailable(new Error('the verifier state is malformed'));
    const { anchor, run, ranAt, _etag } = parsed.data;
    return { state: { anchor, run, ranAt }, etag: _etag };
  }

  async set(state: VerifierState, ifMatch: string | null): Promise<VerifierStateWrite> {
    const body = { id: ID, anchor: state.anchor, run: state.run, ranAt: state.ranAt };
    try {
      await withDeadline(this.#timeoutMs, (abortSignal) =>
        ifMatch === null
          ? this.#container.items.create(body, { abortSignal })
          : this.#container
              .item(ID, ID)
              .replace(body, { abortSignal, accessCondition: { type: 'IfMatch', condition: ifMatch } }),
      );
      return { ok: true };
    } catch (e) {
      const status = cosmosStatus(e);
      if (status === 409 || status === 412 || (ifMatch !== null && status === 404)) {
        return { ok: false, reason: 'conflict' };
      }
      throw chainUnavailable(e);
    }
  }
}
