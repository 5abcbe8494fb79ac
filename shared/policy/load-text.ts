import { preparsePolicySet, preparseSchema, validate } from '@cedar-policy/cedar-wasm/nodejs';
import { SCHEMA_FILE } from './cedar-names.js';
import { createPolicyEngine, type PolicyEngine, type PolicyEngineOptions } from './engine.js';
import { describeCedarError, PolicyLoadError } from './load-error.js';
import { type PolicyFile, parsePolicyFile } from './parse-file.js';
import type { PolicyMeta } from './policy-meta.js';

// Cedar keeps preparsed sets in a process-wide cache keyed by name; each engine gets its
// own names so engines built side by side (tests, reloads) never overwrite each other.
let engineCount = 0;

/**
 * Builds an engine from in-memory files. Checks, in order: the schema parses, each file
 * parses, every policy has a unique @id and valid annotations, and the whole set validates
 * against the schema in strict mode. Throws PolicyLoadError naming the file at fault.
 */
export function loadPolicyEngineFromText(
  files: PolicyFile[],
  schemaText: string,
  options?: PolicyEngineOptions,
): PolicyEngine {
  // The schema is parsed by the strict validation below, which reports its syntax errors as
  // a check parse would: a separate parse cost a third of the policy load at start-up.
  const sorted = [...files].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const policies = collectPolicies(sorted);
  const staticPolicies = Object.fromEntries([...policies].map(([id, meta]) => [id, meta.text]));
  validateStrictly(staticPolicies, schemaText, policies, sorted);

  engineCount += 1;
  const policySetId = `agentgate-policies-${engineCount}`;
  const schemaName = `agentgate-schema-${engineCount}`;
  const preparsedSchema = preparseSchema(schemaName, schemaText);
  if (preparsedSchema.type === 'failure') {
    throw new PolicyLoadError(SCHEMA_FILE, preparsedSchema.errors.map((e) => e.message).join('; '));
  }
  // Shadow policies are validated with the rest but left out of the set that is enforced.
  const enforced = Object.fromEntries(
    [...policies].filter(([, m]) => m.mode === 'enforce').map(([id, m]) => [id, m.text]),
  );
  preparse(policySetId, enforced);
  const hasShadow = [...policies.values()].some((m) => m.mode === 'shadow');
  const shadowPolicySetId = hasShadow ? `${policySetId}-shadow` : undefined;
  if (shadowPolicySetId !== undefined) preparse(shadowPolicySetId, staticPolicies);
  return createPolicyEngine(
    {
      policySetId,
      schemaName,
      policies,
      ...(shadowPolicySetId === undefined ? {} : { shadowPolicySetId }),
    },
    options,
  );
}

function preparse(id: string, staticPolicies: Record<string, string>): void {
  const preparsedSet = preparsePolicySet(id, { staticPolicies });
  if (preparsedSet.type === 'failure') {
    throw new PolicyLoadError('(policy set)', preparsedSet.errors.map((e) => e.message).join('; '));
  }
}

function collectPolicies(files: PolicyFile[]): Map<string, PolicyMeta> {
  const policies = new Map<string, PolicyMeta>();
  for (const file of files) {
    for (const meta of parsePolicyFile(file)) {
      const earlier = policies.get(meta.id);
      if (earlier !== undefined) {
        const where = earlier.file === file.name ? 'earlier in the same file' : `in ${earlier.file}`;
        throw new PolicyLoadError(file.name, `duplicate policy @id("${meta.id}"), already used ${where}`);
      }
      policies.set(meta.id, meta);
    }
  }
  return policies;
}

function validateStrictly(
  staticPolicies: Record<string, string>,
  schemaText: string,
  policies: ReadonlyMap<string, PolicyMeta>,
  files: PolicyFile[],
): void {
  const answer = validate({
    schema: schemaText,
    policies: { staticPolicies },
    validationSettings: { mode: 'strict' },
  });
  if (answer.type === 'failure') {
    throw new PolicyLoadError(
      SCHEMA_FILE,
      answer.errors.map((e) => describeCedarError(e, schemaText)).join('; '),
    );
  }
  const first = answer.validationErrors[0];
  if (first === undefined) return;
  const meta = policies.get(first.policyId);
  const file = files.find((f) => f.name === meta?.file);
  const offset = meta !== undefined && file !== undefined ? file.text.indexOf(meta.text) : -1;
  const detail =
    offset >= 0 ? describeCedarError(first.error, file?.text, offset) : describeCedarError(first.error);
  const others = answer.validationErrors.length - 1;
  throw new PolicyLoadError(
    meta?.file ?? '(policy set)',
    `policy ${first.policyId} does not validate against the schema: ${detail}${others > 0 ? ` (and ${others} more)` : ''}`,
  );
}
