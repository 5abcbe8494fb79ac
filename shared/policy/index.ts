export { CEDAR_NAMESPACE, SCHEMA_FILE } from './cedar-names.js';
export { type QueryContextExtra, queryContext } from './context.js';
export type { PolicyEngine } from './engine.js';
export { dataClassCategory } from './entities.js';
export { loadPolicyEngine } from './load.js';
export { PolicyLoadError } from './load-error.js';
export { loadPolicyEngineFromText } from './load-text.js';
export { DEFAULT_DENY_REASON, ERROR_POLICY_ID } from './outcome.js';
export type { PolicyFile } from './parse-file.js';
