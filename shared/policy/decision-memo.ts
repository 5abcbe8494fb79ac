import { createHash } from 'node:crypto';
import type { ApprovalObligation, Decision, DecisionRequest, Obligations, ShadowDecision } from '../types.js';
import { toCedarRequest } from './entities.js';

/**
 * Remembered Cedar answers, keyed by a digest of exactly what Cedar is given (the principal,
 * action and resource entities, and the context), bounded, least recently used dropped
 * first. Callers get copies, so no caller can change what the next one is told.
 */
export class DecisionMemo {
  readonly #entries = new Map<string, Decision>();

  constructor(private readonly capacity: number) {}

  /** The key of a request, or undefined when it cannot be built (Cedar then answers the error). */
  keyOf(request: DecisionRequest): string | undefined {
    if (this.capacity <= 0) return undefined;
    try {
      const text = JSON.stringify([toCedarRequest(request), request.context]);
      return createHash('sha256').update(text).digest('base64');
    } catch {
      return undefined;
    }
  }

  get(key: string | undefined): Decision | undefined {
    if (key === undefined) return undefined;
    const known = this.#entries.get(key);
    if (known === undefined) return undefined;
    // Re-inserted so that it is the most recently used.
    this.#entries.delete(key);
    this.#entries.set(key, known);
    return copyDecision(known);
  }

  set(key: string | undefined, decision: Decision): void {
    if (key === undefined) return;
    this.#entries.set(key, copyDecision(decision));
    while (this.#entries.size > this.capacity) {
      const oldest = this.#entries.keys().next().value;
      if (oldest === undefined) break;
      this.#entries.delete(oldest);
    }
  }

  get size(): number {
    return this.#entries.size;
  }
}

/**
 * A deep copy of a decision, field by field: the memo is on every request's path, and
 * `structuredClone` (a serialise and deserialise through V8's value serializer) cost more
 * than the lookup it guards. Every field of a Decision is plain data listed here; a field
 * added to one of these types fails to typecheck in COPIED_FIELDS until it is copied too.
 */
export function copyDecision(d: Decision): Decision {
  const copy: Decision = {
    outcome: d.outcome,
    policyIds: [...d.policyIds],
    reasons: [...d.reasons],
    obligations: copyObligations(d.obligations),
  };
  if (d.shadow !== undefined) {
    copy.shadow = {
      outcome: d.shadow.outcome,
      policyIds: [...d.shadow.policyIds],
      reasons: [...d.shadow.reasons],
      matched: d.shadow.matched.map((m) => ({ policyId: m.policyId, effect: m.effect })),
      changed: d.shadow.changed,
    };
  }
  return copy;
}

function copyObligations(o: Obligations): Obligations {
  const copy: Obligations = {};
  if (o.maxRows !== undefined) copy.maxRows = o.maxRows;
  if (o.approvals !== undefined) {
    copy.approvals = o.approvals.map((a) => {
      const c: ApprovalObligation = { policyId: a.policyId, approvers: [...a.approvers] };
      if (a.quorum !== undefined) c.quorum = a.quorum;
      if (a.expires !== undefined) c.expires = a.expires;
      return c;
    });
  }
  return copy;
}

/** Every field copyDecision copies, per type: a new field is a missing key here. */
export const COPIED_FIELDS = {
  decision: { outcome: true, policyIds: true, reasons: true, obligations: true, shadow: true },
  shadow: { outcome: true, policyIds: true, reasons: true, matched: true, changed: true },
  obligations: { maxRows: true, approvals: true },
  approval: { policyId: true, approvers: true, quorum: true, expires: true },
} as const satisfies {
  decision: Record<keyof Decision, true>;
  shadow: Record<keyof ShadowDecision, true>;
  obligations: Record<keyof Obligations, true>;
  approval: Record<keyof ApprovalObligation, true>;
};
