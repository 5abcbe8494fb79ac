/**
 * Posture: the paths by which an agent can reach data without agentgate (static secrets,
 * broad or data-plane roles, open networks, missing request logs, keys left on).
 */
export { fetchLiveInputs, type LiveOptions } from './live.js';
export { findBicep, type Loaded, type LoadOptions, loadInputs } from './load.js';
export { maskDeep, maskSecrets, SECRET_MARK } from './mask.js';
export { toJson } from './output/json.js';
export { toSarif } from './output/sarif.js';
export { RULES, type Rule } from './rules.js';
export { classifyJson, type PostureInput, scanPosture } from './scan.js';
export {
  type Evidence,
  type Finding,
  type PostureOptions,
  type PostureReport,
  SEVERITIES,
  type Severity,
  type Skipped,
  severityRank,
} from './types.js';
