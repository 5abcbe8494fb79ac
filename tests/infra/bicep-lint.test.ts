import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { skipOutsideCi } from '../support/ci-skip.js';
import { BICEP_DIR, findBicep } from './arm.js';

/**
 * The same check as scripts/bicep.sh, without fetching anything: when a Bicep CLI is at hand
 * (BICEP_BIN, the pinned one in .bicep/, or `bicep` on PATH), `bicep lint` must report nothing.
 * Linting main.bicep reports the diagnostics of every module it references too.
 */

describe('bicep lint', () => {
  it('main.bicep and its modules lint without errors or warnings', (t) => {
    const bicep = findBicep();
    if (!bicep) {
      skipOutsideCi(
        t,
        'bicep not available: skipped `bicep lint` (run `bash scripts/bicep.sh` or set BICEP_BIN)',
      );
      return;
    }
    const r = spawnSync(bicep, ['lint', join(BICEP_DIR, 'main.bicep')], { encoding: 'utf8' });
    const output = `${r.stdout}${r.stderr}`;
    assert.equal(r.status, 0, output);
    assert.doesNotMatch(output, / : (Warning|Error) /, output);
  });
});
