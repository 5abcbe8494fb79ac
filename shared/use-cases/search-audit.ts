import type { MaskingSummary } from '../audit/event.js';
import type { AuditRecord } from '../audit/record.js';
import { WITHHELD } from '../db-error-message.js';
import { unmaskedClasses } from '../decide-query.js';
import { GatewayError } from '../errors.js';
import { BUILTIN_CLASSES } from '../masking/index.js';
import { setOwn } from '../own-property.js';
import { newTrace, type RequestStart, type RequestTrace } from '../pipeline/trace.js';
import type { AuditFilter } from '../store/audit-store.js';
import type { Principal } from '../types.js';
import { conclude } from './conclude.js';
import type { UseCaseDeps } from './deps.js';
import type { AuditQuery } from './inputs.js';
import type { Outcome } from './outcome.js';

/** The audit trail is for people: an agent holding the auditor role is refused too. */
export async function requireAuditor(
  deps: UseCaseDeps,
  trace: RequestTrace,
  principal: Principal,
): Promise<void> {
  const decision = await trace.clock.run('decide', () =>
    deps.policy.decide({
      principal,
      action: 'audit.read',
      resource: { type: 'Gateway', id: 'agentgate' },
      context: {},
    }),
  );
  trace.decision = decision;
  if (decision.outcome !== 'allow' || principal.kind !== 'human') {
    throw new GatewayError('forbidden', 'You may not read the audit trail.', {
      details: { policyIds: principal.kind === 'human' ? decision.policyIds : ['audit-humans-only'] },
    });
  }
}

/** Statements and parameters can hold what a data steward typed: readers see them with their own posture. */
export function maskForReader(deps: UseCaseDeps, principal: Principal): (record: AuditRecord) => AuditRecord {
  const clear = unmaskedClasses(deps.policy, principal, BUILTIN_CLASSES);
  const text = (v: string) => deps.masker.maskText(v, clear) ?? WITHHELD;
  return (record) => {
    if (record.kind === 'statement.executed' && record.masking) {
      return { ...record, masking: maskedReport(record.masking, text) };
    }
    if (record.kind !== 'request') return record;
    // Names from the statement (an alias, a table or column it named) are the caller's text
    // too, wherever the record repeats them (red-team round 38): the masking report's keys,
    // the decision's reasons and the tables of the facts.
    return {
      ...record,
      statement: record.statement === null ? null : text(record.statement),
      ...(record.params ? { params: record.params.map((p) => (typeof p === 'string' ? text(p) : p)) } : {}),
      ...(record.targetMessage === undefined ? {} : { targetMessage: text(record.targetMessage) }),
      decision: { ...record.decision, reasons: record.decision.reasons.map(text) },
      facts: record.facts ? { ...record.facts, tables: record.facts.tables.map(text) } : null,
      masking: record.masking ? maskedReport(record.masking, text) : null,
    };
  };
}

/** A masking report with its column names masked; two that mask alike stay apart. */
function maskedReport(report: MaskingSummary, text: (v: string) => string): MaskingSummary {
  const columns: Record<string, string> = {};
  let n = 0;
  for (const [name, dataClass] of Object.entries(report.columns)) {
    let shown = text(name);
    while (Object.hasOwn(columns, shown)) shown = `${text(name)} (${++n})`;
    setOwn(columns, shown, dataClass);
  }
  return { ...report, columns };
}

export function searchAudit(
  deps: UseCaseDeps,
  start: Omit<RequestStart, 'action' | 'connection'>,
  principal: Principal,
  input: AuditQuery,
): Promise<Outcome<{ requestId: string; records: AuditRecord[]; continuation?: string }>> {
  const trace = newTrace({ ...start, action: 'audit.read', connection: null });
  trace.principal = principal;
  return conclude(deps, trace, async () => {
    await requireAuditor(deps, trace, principal);
    const { limit, continuation, ...filter } = input;
    // The filter is what this read asked for; investigators see it in the reader's own record.
    trace.statement = JSON.stringify(input);
    const page = await trace.clock.run('execute', () =>
      deps.audit.search(filter satisfies AuditFilter, { limit, ...(continuation ? { continuation } : {}) }),
    );
    const records = page.records.map(maskForReader(deps, principal));
    return {
      value: {
        requestId: trace.requestId,
        records,
        ...(page.continuation ? { continuation: page.continuation } : {}),
      },
      end: { rowsReturned: records.length, truncated: page.continuation !== undefined },
    };
  });
}

/**
 * Every event of one request, in order: the decision trace an operator asks for ("why was
 * this refused?"). Same readers and masking as the search.
 */
export function auditTrace(
  deps: UseCaseDeps,
  start: Omit<RequestStart, 'action' | 'connection'>,
  principal: Principal,
  input: { requestId: string },
): Promise<Outcome<{ requestId: string; subject: string; events: AuditRecord[] }>> {
  const trace = newTrace({ ...start, action: 'audit.read', connection: null });
  trace.principal = principal;
  return conclude(deps, trace, async () => {
    await requireAuditor(deps, trace, principal);
    trace.statement = JSON.stringify({ requestId: input.requestId });
    const page = await trace.clock.run('execute', () =>
      deps.audit.search({ requestId: input.requestId }, { limit: 200 }),
    );
    if (page.records.length === 0)
      throw new GatewayError('not_found', 'No audit events for that request id.');
    const events = page.records.map(maskForReader(deps, principal)).sort((a, b) => a.seq - b.seq);
    return {
      value: { requestId: trace.requestId, subject: input.requestId, events },
      end: { rowsReturned: events.length, truncated: false },
    };
  });
}
