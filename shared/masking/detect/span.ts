import type { Span } from '../types.js';

/** True when [start, end) lies wholly inside a span already found by an earlier detector. */
export function coveredBy(spans: readonly Span[], start: number, end: number): boolean {
  for (const s of spans) if (s.start <= start && end <= s.end) return true;
  return false;
}

/** True when [start, end) overlaps any span already found. */
export function overlapsAny(spans: readonly Span[], start: number, end: number): boolean {
  for (const s of spans) if (start < s.end && s.start < end) return true;
  return false;
}
