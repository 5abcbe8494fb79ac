import type { Masker } from '../masking/index.js';

/** Parameters listed one by one; past this many, the rest are counted. */
export const MAX_SHOWN_PARAMS = 50;
/** Characters of one parameter shown; the rest is cut with an ellipsis. */
export const MAX_SHOWN_PARAM_CHARS = 500;

/**
 * The bound parameters of a held statement as approvers and the requester see them: what
 * runs after approval is the statement with these values, so an approver who saw only
 * `ssn < $1` would decide on a different question than the one asked (red-team round 14).
 * Each is its JSON text, content-scanned like any value the caller wrote (a card number in
 * a parameter is masked on a Teams card as in a result), then cut to a readable length.
 */
export function shownParams(params: readonly unknown[], masker: Masker): string[] {
  const shown = params.slice(0, MAX_SHOWN_PARAMS).map((value) => {
    const text = masker.maskText(JSON.stringify(value) ?? 'null') ?? '[REDACTED]';
    return text.length > MAX_SHOWN_PARAM_CHARS ? `${text.slice(0, MAX_SHOWN_PARAM_CHARS)}…` : text;
  });
  if (params.length > MAX_SHOWN_PARAMS) shown.push(`and ${params.length - MAX_SHOWN_PARAMS} more`);
  return shown;
}
