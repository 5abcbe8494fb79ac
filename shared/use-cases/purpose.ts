import type { Masker } from '../masking/index.js';

/**
 * The caller's stated purpose as the gateway keeps it: content-scanned once, where it enters,
 * before policy, the trace, the request store, the approvers' card and page, or the audit
 * trail see it. It is free text the caller wrote and every one of those shows it to people
 * (red-team round 18: a card number, an SSN and an email in a purpose reached approvers and
 * auditors in clear, where the same values in the statement or its parameters were masked).
 */
export function scannedPurpose<T extends { purpose?: string | undefined }>(input: T, masker: Masker): T {
  if (input.purpose === undefined) return input;
  return { ...input, purpose: masker.maskText(input.purpose) ?? '[REDACTED]' };
}
