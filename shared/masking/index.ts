/**
 * Masking: classification tracing, content detection, operators and the masker. The gateway
 * traces a result's columns, then masks it with a masker built once from configuration.
 */
import { detect as detectSpans } from './detect/detect.js';
import { createMasker } from './masker.js';
import type { Masker, Span } from './types.js';

export { BUILTIN_CLASSES, DEFAULT_OPERATORS } from './classes.js';
export { createMasker } from './masker.js';
export { type Operator, parseOperator } from './operators.js';
export { classByName, type SuggestInput, type Suggestion, suggestClasses } from './suggest.js';
export { type TraceInput, traceColumns } from './trace.js';
export type { ColumnPlan, Masker, MaskerOptions, MaskingReport, MaskResultInput, Span } from './types.js';

/** Sensitive spans in `text` (sorted, overlaps merged into the most restrictive class). */
export function detect(text: string): Span[] {
  // Copied so callers cannot touch the detector's arrays; the shared empty answer is frozen,
  // and slicing a frozen array takes a slow path, so that case gets a fresh literal instead.
  const spans = detectSpans(text);
  return spans.length === 0 ? [] : spans.slice();
}

let keyless: Masker | undefined;

/** One value masked whole as `dataClass` with the default operators (no key: `token` becomes `redact`). */
export function maskValue(value: unknown, dataClass: string): unknown {
  keyless ??= createMasker();
  return keyless.maskValue(value, dataClass);
}

/**
 * Text masked by the content detectors with the default operators, for what a caller typed
 * where no caller's posture applies (a route value written into the audit record); `null`
 * when the operators null it.
 */
export function maskTextDefault(text: string): string | null {
  keyless ??= createMasker();
  return keyless.maskText(text);
}
