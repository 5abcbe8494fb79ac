/**
 * The approval workflow, as pure steps over the request and result ports (no HTTP, no queue
 * SDK). Each step takes an injected clock and returns the audit events to record, their
 * seqs reserved in the step's own conditional write. The caller records them before it acts
 * on the outcome: before answering 202, before enqueueing an execution, before releasing a
 * result (no audit, no data).
 *
 *   createApprovalRequest -> pending
 *   applyDecision (per decision message) -> approved | denied | (expired)
 *   executeApproved (once approved) -> executing -> completed | failed
 *   expireStale (timer), cancelRequest (requester), fetchResult (requester, until the TTL)
 */
export * from './annotations.js';
export * from './apply-decision.js';
export * from './cancel.js';
export * from './create-request.js';
export * from './decision-message.js';
export * from './events.js';
export * from './execute-approved.js';
export * from './expire.js';
export * from './fetch-result.js';
export * from './fetch-result-page.js';
export * from './lifecycle.js';
export * from './shown-params.js';
