import type { PolicyJson } from '@cedar-policy/cedar-wasm/nodejs';
import { PolicyLoadError } from './load-error.js';

/** What the gateway needs to know about one policy, read from its annotations at load. */
export interface PolicyMeta {
  id: string;
  /** File the policy came from, for load errors and `agentgate policy` listings. */
  file: string;
  effect: 'permit' | 'forbid';
  message: string;
  /** `approval` when the permit carries `@outcome("approval")`. */
  outcome: 'allow' | 'approval';
  approvers: string[];
  maxRows: number | undefined;
  /**
   * Every annotation as written, for concerns that read their own (the approval workflow's
   * `@quorum` and `@expires`) without this module knowing them.
   */
  annotations: Readonly<Record<string, string>>;
  /**
   * `shadow` (from `@mode("shadow")`): evaluated and reported as a would-be decision, never
   * enforced. Lets an operator see what a new policy would change before it takes effect.
   */
  mode: 'enforce' | 'shadow';
  /** The policy's own text, as handed to Cedar. */
  text: string;
}

const ID_PATTERN = /^[a-z0-9][a-z0-9._-]*$/;
/** `error` is reserved for the fail-closed decision of the engine. */
const RESERVED_IDS = new Set(['error']);

/**
 * Annotations are checked here, once, so that a typo such as `@outcome("aproval")` stops
 * the gateway from starting instead of quietly turning an approval into an allow.
 */
export function readPolicyMeta(
  policy: Pick<PolicyJson, 'effect' | 'annotations'>,
  text: string,
  file: string,
): PolicyMeta {
  const annotations = policy.annotations ?? {};
  const id = annotations.id;
  if (id === undefined || id === '') {
    throw new PolicyLoadError(file, `a policy has no @id annotation: ${firstLine(text)}`);
  }
  if (!ID_PATTERN.test(id) || RESERVED_IDS.has(id)) {
    throw new PolicyLoadError(
      file,
      `@id("${id}") must be lower-case letters, digits, '.', '_' or '-' and not "error"`,
    );
  }
  const message = annotations.message;
  if (message === undefined || message.trim() === '') {
    throw new PolicyLoadError(file, `policy ${id} has no @message annotation`);
  }
  const outcome = readOutcome(annotations.outcome, id, file);
  const approvers = approverGroups(annotations.approvers);
  if (
    policy.effect === 'forbid' &&
    (outcome !== 'allow' || approvers.length > 0 || 'maxRows' in annotations)
  ) {
    throw new PolicyLoadError(
      file,
      `policy ${id} is a forbid: @outcome, @approvers and @maxRows apply to permits only`,
    );
  }
  if (outcome === 'approval' && approvers.length === 0) {
    throw new PolicyLoadError(file, `policy ${id} asks for approval but names no @approvers`);
  }
  return {
    id,
    file,
    effect: policy.effect,
    message,
    outcome,
    approvers,
    maxRows: readMaxRows(annotations.maxRows, id, file),
    annotations: { ...annotations },
    mode: readMode(annotations.mode, id, file),
    text,
  };
}

/** `"data-owners, dba"`: the approver groups a comma-separated list names, blanks dropped. */
export function approverGroups(list: string | undefined): string[] {
  return (list ?? '')
    .split(',')
    .map((group) => group.trim())
    .filter((group) => group !== '');
}

function readOutcome(value: string | undefined, id: string, file: string): PolicyMeta['outcome'] {
  if (value === undefined || value === 'allow') return 'allow';
  if (value === 'approval') return 'approval';
  throw new PolicyLoadError(file, `policy ${id} has @outcome("${value}"); expected "approval" or "allow"`);
}

function readMode(value: string | undefined, id: string, file: string): PolicyMeta['mode'] {
  if (value === undefined || value === 'enforce') return 'enforce';
  if (value === 'shadow') return 'shadow';
  // A typo must not silently enforce (or silently not enforce) a policy.
  throw new PolicyLoadError(file, `policy ${id} has @mode("${value}"); expected "shadow" or "enforce"`);
}

function readMaxRows(value: string | undefined, id: string, file: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^[1-9][0-9]*$/.test(value) || !Number.isSafeInteger(Number(value))) {
    throw new PolicyLoadError(file, `policy ${id} has @maxRows("${value}"); expected a positive integer`);
  }
  return Number(value);
}

function firstLine(text: string): string {
  const line = text.split('\n').find((l) => l.trim() !== '' && !l.trim().startsWith('//')) ?? text;
  return line.trim().slice(0, 80);
}
