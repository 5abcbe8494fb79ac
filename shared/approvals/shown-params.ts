import type { Masker } from '../masking/index.js';

/**
 * The bound parameters of a held statement as approvers and the requester see them: what
 * runs after approval is the statement with these values, so an approver who saw only
 * `ssn < $1` would decide on a different question than the one asked (red-team round 14).
 * Each is its JSON text, content-scanned like any value the caller wrote (a card number in
 * a parameter is masked on a Teams card as in a result). All of them and each whole: a cut
 * or a count would let the part that decides what runs sit past it (red-team round 16). The
 * request body's limits bound them; the Teams card, which cannot hold them all, says so.
 */
export function shownParams(params: readonly unknown[], masker: Masker): string[] {
  return params.map((value) => masker.maskText(JSON.stringify(value) ?? 'null') ?? '[REDACTED]');
}

/**
 * The held statement as approvers and the requester see it: content-scanned like its
 * parameters, so a card number written as a literal is masked on a Teams card (which travels
 * to the whole channel) as it would be in a parameter (red-team round 38). The shape stays
 * readable; what runs is the statement as stored, whose digest the audit keeps.
 */
export function shownStatement(statement: string, masker: Masker): string {
  return masker.maskText(statement) ?? '[REDACTED]';
}
