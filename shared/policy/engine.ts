import { statefulIsAuthorized } from '@cedar-policy/cedar-wasm/nodejs';
import { canonicalSha256 } from '../audit/canonical.js';
import type { Decision, DecisionRequest, ShadowDecision } from '../types.js';
import { DecisionMemo } from './decision-memo.js';
import { toCedarRequest } from './entities.js';
import { ERROR_POLICY_ID, errorDecision, toDecision } from './outcome.js';
import type { PolicyMeta } from './policy-meta.js';

export interface PolicyEngine {
  /** Never throws: anything unexpected is a deny naming the policy id `error`. */
  decide(request: DecisionRequest): Decision;
  /** Ids of the loaded policies, sorted (shadow ones included). */
  policyIds(): string[];
  /** A loaded policy's annotations as written (undefined for an unknown id). */
  annotations(id: string): Readonly<Record<string, string>> | undefined;
  /** Hex SHA-256 of the loaded policy set (ids and texts), what a stored approval names. */
  digest(): string;
}

export interface PreparsedPolicies {
  /** Keys under which the policy set and schema were handed to `preparse*`. */
  policySetId: string;
  schemaName: string;
  policies: ReadonlyMap<string, PolicyMeta>;
  /** The set with the shadow policies enforced too, when any is loaded. */
  shadowPolicySetId?: string;
}

export interface PolicyEngineOptions {
  /** Decisions remembered (least recently used dropped first); 0 turns the memo off. */
  memoEntries?: number;
  /** Called on each real Cedar evaluation (tests count them). */
  onEvaluate?: () => void;
}

export function createPolicyEngine(
  preparsed: PreparsedPolicies,
  options: PolicyEngineOptions = {},
): PolicyEngine {
  const { policySetId, schemaName, policies, shadowPolicySetId } = preparsed;
  const memoEntries = options.memoEntries ?? 2048;
  const ids = [...policies.keys()].sort();
  const digest = canonicalSha256(ids.map((id) => [id, policies.get(id)?.text ?? '']));
  const enforced = new Map([...policies].filter(([, meta]) => meta.mode === 'enforce'));
  const evaluate = (request: DecisionRequest, setId: string, known: ReadonlyMap<string, PolicyMeta>) => {
    try {
      const parts = toCedarRequest(request);
      const answer = statefulIsAuthorized({
        ...parts,
        context: request.context,
        preparsedPolicySetId: setId,
        preparsedSchemaName: schemaName,
        // The schema check of the request turns a wrongly built context into a deny.
        validateRequest: true,
      });
      return toDecision(answer, known);
    } catch (e) {
      return errorDecision([e instanceof Error ? e.message : String(e)]);
    }
  };
  const decideFresh = (request: DecisionRequest): Decision => {
    const decision = evaluate(request, policySetId, enforced);
    if (shadowPolicySetId === undefined) return decision;
    // The would-be decision is computed apart and only reported: whatever it says, the
    // enforced decision above is what the gateway acts on.
    return {
      ...decision,
      shadow: shadowOf(decision, evaluate(request, shadowPolicySetId, policies), policies),
    };
  };
  const memo = new DecisionMemo(memoEntries);
  return {
    decide(request) {
      // A Cedar answer is a function of the request alone (principal and its groups, action,
      // resource, context: the clock enters only as the hour) under this engine's fixed policy
      // set, so an identical request gets the remembered answer. The key is the whole request,
      // never a part of it; errors are not remembered.
      const key = memo.keyOf(request);
      const known = memo.get(key);
      if (known) return known;
      options.onEvaluate?.();
      const decision = decideFresh(request);
      if (!decision.policyIds.includes(ERROR_POLICY_ID)) memo.set(key, decision);
      return decision;
    },
    policyIds() {
      return [...ids];
    },
    annotations(id) {
      return policies.get(id)?.annotations;
    },
    digest() {
      return digest;
    },
  };
}

function shadowOf(
  enforced: Decision,
  wouldBe: Decision,
  policies: ReadonlyMap<string, PolicyMeta>,
): ShadowDecision {
  const matched = wouldBe.policyIds.flatMap((id) => {
    const meta = policies.get(id);
    return meta?.mode === 'shadow' ? [{ policyId: id, effect: meta.effect }] : [];
  });
  return {
    outcome: wouldBe.outcome,
    policyIds: wouldBe.policyIds,
    reasons: wouldBe.reasons,
    matched,
    changed: wouldBe.outcome !== enforced.outcome,
  };
}
