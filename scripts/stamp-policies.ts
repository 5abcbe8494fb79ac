// Validates a policy directory in full and writes its build-time stamp beside it
// (shared/policy/validated-stamp.ts), so the packaged gateway need not parse and validate the
// shipped policies again at every cold start. Run by scripts/build.mjs on dist/policies/.
// Exits non-zero, writing nothing, when the policies do not load.
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { POLICY_FILE_SUFFIX, SCHEMA_FILE } from '../shared/policy/cedar-names.js';
import { stampPolicyFiles } from '../shared/policy/load-text.js';
import { STAMP_FILE } from '../shared/policy/validated-stamp.js';

const dir = process.argv[2];
if (!dir) throw new Error('usage: stamp-policies.ts <policy dir>');
const names = (await readdir(dir)).filter((n) => n.endsWith(POLICY_FILE_SUFFIX));
const files = await Promise.all(
  names.map(async (name) => ({ name, text: await readFile(join(dir, name), 'utf8') })),
);
const stamp = stampPolicyFiles(files, await readFile(join(dir, SCHEMA_FILE), 'utf8'));
await writeFile(join(dir, STAMP_FILE), `${JSON.stringify(stamp)}\n`);
console.log(`stamped ${names.length} policy files in ${dir} (${STAMP_FILE})`);
