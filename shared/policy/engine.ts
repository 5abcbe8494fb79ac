import { statefulIsAuthorized } from '@cedar-policy/cedar-wasm/nodejs';
import { canonicalSha256 } from '../audit/canonical.js';
import type { Decision, DecisionRequest, ShadowDecision } from '../types.js';
import { toCedarRequest } from './entities.js';
import { errorDecision, toDecision } from './outcome.js';
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

export function createPolicyEngine(preparsed: PreparsedPolicies): PolicyEngine {
  const { policySetId, schemaName, policies, shadowPolicySetId } = preparsed;
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
  return {
    decide(request) {
      const decision = evaluate(request, policySetId, enforced);
      if (shadowPolicySetId === undefined) return decision;
      // The would-be decision is computed apart and only reported: whatever it says, the
      // enforced decision above is what the gateway acts on.
      return {
        ...decision,
        shadow: shadowOf(decision, evaluate(request, shadowPolicySetId, policies), policies),
      };
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
