import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { POLICY_FILE_SUFFIX, SCHEMA_FILE } from './cedar-names.js';
import type { PolicyEngine, PolicyEngineOptions } from './engine.js';
import { PolicyLoadError } from './load-error.js';
import { loadPolicyEngineFromText } from './load-text.js';
import { STAMP_FILE } from './validated-stamp.js';

export interface StampTrust {
  /**
   * Use the directory's build-time stamp (validated-stamp.ts) when it matches the files. Only
   * for the policies packaged with the gateway: a directory an operator chose is validated in full.
   */
  trustStamp?: boolean;
  /** Told whether a stamp applied (the self-check reports it). */
  applied?: (applied: boolean) => void;
}

/** Reads the stamp beside the policies; none (or unreadable) is a full load. */
async function readStamp(dir: string): Promise<string | undefined> {
  return readFile(join(dir, STAMP_FILE), 'utf8').catch(() => undefined);
}

/** Reads `schema.cedarschema` and every `*.cedar` file of `dir` and builds the engine. */
export async function loadPolicyEngine(
  dir: string,
  options?: PolicyEngineOptions,
  trust: StampTrust = {},
): Promise<PolicyEngine> {
  const names = (await readdir(dir)).filter((name) => name.endsWith(POLICY_FILE_SUFFIX));
  const files = await Promise.all(
    names.map(async (name) => ({ name, text: await readFile(join(dir, name), 'utf8') })),
  );
  let schemaText: string;
  try {
    schemaText = await readFile(join(dir, SCHEMA_FILE), 'utf8');
  } catch (e) {
    throw new PolicyLoadError(SCHEMA_FILE, `cannot read the schema in ${dir}`, { cause: e });
  }
  const stamp = trust.trustStamp ? await readStamp(dir) : undefined;
  if (stamp === undefined) trust.applied?.(false);
  return loadPolicyEngineFromText(
    files,
    schemaText,
    options,
    stamp === undefined ? undefined : { text: stamp, ...(trust.applied ? { applied: trust.applied } : {}) },
  );
}
