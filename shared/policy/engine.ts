import { statefulIsAuthorized } from '@cedar-policy/cedar-wasm/nodejs';
import { canonicalSha256 } from '../audit/canonical.js';
import type { Decision, DecisionRequest } from '../types.js';
import { toCedarRequest } from './entities.js';
import { errorDecision, toDecision } from './outcome.js';
import type { PolicyMeta } from './policy-meta.js';

export interface PolicyEngine {
  /** Never throws: anything unexpected is a deny naming the policy id `error`. */
  decide(request: DecisionRequest): Decision;
  /** Ids of the loaded policies, sorted. */
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
}

export function createPolicyEngine(preparsed: PreparsedPolicies): PolicyEngine {
  const { policySetId, schemaName, policies } = preparsed;
  const ids = [...policies.keys()].sort();
  const digest = canonicalSha256(ids.map((id) => [id, policies.get(id)?.text ?? '']));
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
    annotations(id) {
      return policies.get(id)?.annotations;
    },
    digest() {
      return digest;
    },
  };
}
