import { statefulIsAuthorized } from '@cedar-policy/cedar-wasm/nodejs';
import type { Decision, DecisionRequest } from '../types.js';
import { toCedarRequest } from './entities.js';
import { errorDecision, toDecision } from './outcome.js';
import type { PolicyMeta } from './policy-meta.js';

export interface PolicyEngine {
  /** Never throws: anything unexpected is a deny naming the policy id `error`. */
  decide(request: DecisionRequest): Decision;
  /** Ids of the loaded policies, sorted. */
  policyIds(): string[];
}

export interface PreparsedPolicies {
  /** Keys under which the policy set and schema were handed to `preparse*`. */
  policySetId: string;
  schemaName: string;
  policies: ReadonlyMap<string, PolicyMeta>;
}

export function createPolicyEngine(preparsed: PreparsedPolicies): PolicyEngine {
  const { policySetId, schemaName, policies } = preparsed;
  const ids = [...policies.keys()].sort();
  return {
    decide(request) {
      try {
        const parts = toCedarRequest(request);
        const answer = statefulIsAuthorized({
          ...parts,
          context: request.context,
          preparsedPolicySetId: policySetId,
          preparsedSchemaName: schemaName,
          // The schema check of the request turns a wrongly built context into a deny.
          validateRequest: true,
        });
        return toDecision(answer, policies);
      } catch (e) {
        return errorDecision([e instanceof Error ? e.message : String(e)]);
      }
    },
    policyIds() {
      return [...ids];
    },
  };
}
