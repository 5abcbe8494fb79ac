import { policySetTextToParts, policyToJson } from '@cedar-policy/cedar-wasm/nodejs';
import { describeCedarError, PolicyLoadError } from './load-error.js';
import { type PolicyMeta, readPolicyMeta } from './policy-meta.js';
import { type ParsedPolicy, parsedOf } from './validated-stamp.js';

export interface PolicyFile {
  name: string;
  text: string;
}

/** Parses one `.cedar` file on its own, so a syntax error names the file it is in. */
export function parsePolicyFile(file: PolicyFile): ParsedPolicy[] {
  // Splitting the file parses it and reports its syntax errors: no separate check parse (each
  // Cedar parse is milliseconds of WASM at start-up).
  const parts = policySetTextToParts(file.text);
  if (parts.type === 'failure') {
    throw new PolicyLoadError(
      file.name,
      parts.errors.map((e) => describeCedarError(e, file.text)).join('; '),
    );
  }
  // Templates would need links managed at run time; the gateway ships static policies only.
  if (parts.policy_templates.length > 0) {
    throw new PolicyLoadError(file.name, 'policy templates (?principal / ?resource slots) are not supported');
  }
  return parts.policies.map((text) => {
    const json = policyToJson(text);
    if (json.type === 'failure') {
      throw new PolicyLoadError(file.name, json.errors.map((e) => describeCedarError(e, text)).join('; '));
    }
    return parsedOf(json.json, text);
  });
}

/** Each policy's metadata, its annotations checked (parsed now or read from a stamp). */
export function policyMetas(file: PolicyFile, parsed: readonly ParsedPolicy[]): PolicyMeta[] {
  return parsed.map((p) => readPolicyMeta(p, p.text, file.name));
}
