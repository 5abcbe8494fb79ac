import type { Span } from '../types.js';

/** True when [start, end) lies wholly inside one of `spans[from..]`. */
export function coveredBy(spans: readonly Span[], start: number, end: number, from = 0): boolean {
  for (let i = from; i < spans.length; i++) if (spans[i].start <= start && end <= spans[i].end) return true;
  return false;
}

/** True when [start, end) overlaps one of `spans[from..]`. */
export function overlapsAny(spans: readonly Span[], start: number, end: number, from = 0): boolean {
  for (let i = from; i < spans.length; i++) if (start < spans[i].end && spans[i].start < end) return true;
  return false;
}

/**
 * Spans found by earlier detectors, asked many times by a later one: sorted by start with a
 * running maximum of ends, each question is a binary search, so a text with thousands of
 * findings is not checked span against span.
 */
export class SpanIndex {
  private readonly starts: number[] = [];
  private readonly maxEnds: number[] = [];

  constructor(spans: readonly Span[], keep: (s: Span) => boolean = () => true) {
    const sorted = spans.filter(keep).sort((a, b) => a.start - b.start);
    let max = -1;
    for (const s of sorted) {
      if (s.end > max) max = s.end;
      this.starts.push(s.start);
      this.maxEnds.push(max);
    }
  }

  /** Index of the last span starting before `bound` (at or before, when `inclusive`), or -1. */
  private lastBefore(bound: number, inclusive: boolean): number {
    let lo = 0;
    let hi = this.starts.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const s = this.starts[mid];
      if (s < bound || (inclusive && s === bound)) lo = mid + 1;
      else hi = mid;
    }
    return lo - 1;
  }

  /** True when [start, end) overlaps some span. */
  overlaps(start: number, end: number): boolean {
    const i = this.lastBefore(end, false);
    return i >= 0 && this.maxEnds[i] > start;
  }

  /** True when [start, end) lies wholly inside some span. */
  covers(start: number, end: number): boolean {
    const i = this.lastBefore(start, true);
    return i >= 0 && this.maxEnds[i] >= end;
  }
}

/**
 * A span found only once a disguise was undone (a normalised view, spaced-out digits, a
 * reversal, an encoding). What the original holds there is not the value's printed form, so
 * an operator that shows part of it (partial, email) could show the wrong part: such spans
 * are redacted whole.
 */
export interface Finding extends Span {
  disguised?: boolean;
}
