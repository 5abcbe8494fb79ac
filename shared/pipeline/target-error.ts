import { WITHHELD, withholdDataInDbMessage } from '../db-error-message.js';
import { GatewayError } from '../errors.js';
import type { Masker } from '../masking/index.js';
import { agentFacingError } from '../query/agent-error.js';
import type { RequestTrace } from './trace.js';

/**
 * The target's message is passed on for statement errors, so it goes through the same
 * protections as rows: an agent gets a fixed message by SQLSTATE; a person gets the text
 * with quoted values they did not write withheld and the content detectors run over the
 * rest. The target's own words go to the audit record (masked), never to an agent.
 */
export function targetErrorHandler(input: {
  trace: RequestTrace;
  sql: string;
  clear: Set<string>;
  agent: boolean;
  masker: Masker;
}): (e: unknown) => never {
  return (e: unknown): never => {
    if (!(e instanceof GatewayError) || (e.code !== 'query_failed' && e.code !== 'forbidden')) throw e;
    input.trace.targetMessage = input.masker.maskText(e.message, new Set()) ?? WITHHELD;
    if (input.agent) throw agentFacingError(e);
    const text = withholdDataInDbMessage(e.message, input.sql);
    const masked = input.masker.maskText(text, input.clear) ?? WITHHELD;
    throw new GatewayError(e.code, masked, { cause: e, ...(e.details ? { details: e.details } : {}) });
  };
}
