import { preparsePolicySet, preparseSchema, validate } from '@cedar-policy/cedar-wasm/nodejs';
import { SCHEMA_FILE } from './cedar-names.js';
import { createPolicyEngine, type PolicyEngine, type PolicyEngineOptions } from './engine.js';
import { describeCedarError, PolicyLoadError } from './load-error.js';
import { type PolicyFile, parsePolicyFile, policyMetas } from './parse-file.js';
import type { PolicyMeta } from './policy-meta.js';
import { applyStamp, makeStamp, type ParsedPolicy, type PolicyStamp } from './validated-stamp.js';

// Cedar keeps preparsed sets in a process-wide cache keyed by name; each engine gets its
// own names so engines built side by side (tests, reloads) never overwrite each other.
let engineCount = 0;

/** A build-time stamp to try (see validated-stamp.ts), and who to tell whether it applied. */
export interface StampUse {
  text: string;
  applied?: (applied: boolean) => void;
}

function byName(a: PolicyFile, b: PolicyFile): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

/**
 * Builds an engine from in-memory files. Checks, in order: each file parses, every policy has
 * a unique @id and valid annotations, and the whole set (with the schema) validates against
 * the schema in strict mode. Throws PolicyLoadError naming the file at fault. With a `stamp`
 * made for exactly these bytes, parsing and validation were done when it was made: only the
 * annotation checks and the preparse (which parses again, failing on any error) run.
 */
export function loadPolicyEngineFromText(
  files: PolicyFile[],
  schemaText: string,
  options?: PolicyEngineOptions,
  stamp?: StampUse,
): PolicyEngine {
  const sorted = [...files].sort(byName);
  const stamped = stamp ? applyStamp(stamp.text, sorted, schemaText) : undefined;
  stamp?.applied?.(stamped !== undefined);
  const parsed = new Map(sorted.map((f) => [f.name, stamped?.parsed.get(f.name) ?? parsePolicyFile(f)]));
  const policies = collectPolicies(sorted, parsed);
  const staticPolicies = Object.fromEntries([...policies].map(([id, meta]) => [id, meta.text]));
  // Validation also parses the schema and reports its syntax errors, as a check parse would.
  if (!stamped) validateStrictly(staticPolicies, schemaText, policies, sorted);

  engineCount += 1;
  const policySetId = `agentgate-policies-${engineCount}`;
  const schemaName = `agentgate-schema-${engineCount}`;
  const preparsedSchema = preparseSchema(schemaName, stamped?.schemaJson ?? schemaText);
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

/**
 * Loads the files in full (never from a stamp): parse, annotations, strict validation and a
 * preparse; answers the stamp that lets a later load of the same bytes skip the first three.
 */
export function stampPolicyFiles(files: PolicyFile[], schemaText: string): PolicyStamp {
  const sorted = [...files].sort(byName);
  const parsed = new Map(sorted.map((f) => [f.name, parsePolicyFile(f)]));
  const policies = collectPolicies(sorted, parsed);
  validateStrictly(
    Object.fromEntries([...policies].map(([id, meta]) => [id, meta.text])),
    schemaText,
    policies,
    sorted,
  );
  // What a stamped load will do: the set must also preparse.
  loadPolicyEngineFromText(files, schemaText, { memoEntries: 0 });
  return makeStamp(sorted, schemaText, parsed);
}

function preparse(id: string, staticPolicies: Record<string, string>): void {
  const preparsedSet = preparsePolicySet(id, { staticPolicies });
  if (preparsedSet.type === 'failure') {
    throw new PolicyLoadError('(policy set)', preparsedSet.errors.map((e) => e.message).join('; '));
  }
}

function collectPolicies(
  files: PolicyFile[],
  parsed: ReadonlyMap<string, readonly ParsedPolicy[]>,
): Map<string, PolicyMeta> {
  const policies = new Map<string, PolicyMeta>();
  for (const file of files) {
    for (const meta of policyMetas(file, parsed.get(file.name) ?? [])) {
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
