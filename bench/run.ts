import { benchAnalysis } from './analysis.bench.js';
import { benchApprovals } from './approvals.bench.js';
import { benchAuditChain } from './audit-chain.bench.js';
import { benchBlob, benchBlobApproved } from './blob.bench.js';
import { benchColdStart } from './cold-start.bench.js';
import { benchLargeResult } from './large-result.bench.js';
import { benchLoad } from './load.bench.js';
import { benchMasking } from './masking.bench.js';
import { benchMcp } from './mcp.bench.js';
import { benchPipeline, benchPipelineAB } from './pipeline.bench.js';
import { benchPolicy } from './policy.bench.js';
import { benchReadMemory } from './read-memory.bench.js';
import { benchRealPg } from './real-pg.bench.js';

/**
 * `npm run bench`: every benchmark prints its figures next to a baseline measured in the
 * same run. `npm run bench -- pipeline` runs one.
 */
const suites: Record<string, () => Promise<void>> = {
  analysis: benchAnalysis,
  policy: benchPolicy,
  masking: benchMasking,
  pipeline: benchPipeline,
  'pipeline-ab': benchPipelineAB,
  'audit-chain': benchAuditChain,
  mcp: benchMcp,
  approvals: benchApprovals,
  'cold-start': benchColdStart,
  'large-result': benchLargeResult,
  'read-memory': benchReadMemory,
  blob: benchBlob,
  'blob-approved': benchBlobApproved,
  'real-pg': benchRealPg,
  // Not a figure to compare: a pass/fail load test (`npm run bench -- load`).
  load: benchLoad,
};

const wanted = process.argv.slice(2);
for (const [name, run] of Object.entries(suites)) {
  if (wanted.length > 0 ? !wanted.includes(name) : name === 'load') continue;
  await run();
}
process.exit(process.exitCode ?? 0);
