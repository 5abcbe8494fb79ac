import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { POLICY_FILE_SUFFIX, SCHEMA_FILE } from './cedar-names.js';
import type { PolicyEngine, PolicyEngineOptions } from './engine.js';
import { PolicyLoadError } from './load-error.js';
import { loadPolicyEngineFromText } from './load-text.js';

/** Reads `schema.cedarschema` and every `*.cedar` file of `dir` and builds the engine. */
export async function loadPolicyEngine(dir: string, options?: PolicyEngineOptions): Promise<PolicyEngine> {
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
  return loadPolicyEngineFromText(files, schemaText, options);
}
