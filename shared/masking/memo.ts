import { type ScanContext, scanString } from './scan.js';

/**
 * Results repeat values (statuses, names, canned notes, the same city a thousand times).
 * Within one result the scan of a string depends on nothing but the string, so a repeated
 * value is scanned once and its answer, findings included, is replayed. A column stops
 * remembering as soon as a window of its values barely repeats, so a column of unique values
 * pays only for one short window; short strings are never remembered, they scan faster than
 * a lookup.
 */

const WINDOW = 64;
const MIN_REPEATS = 16;
const MAX_ENTRIES = 4096;
export const MIN_REMEMBERED_LENGTH = 12;

interface Answer {
  masked: string | null;
  hits: number;
}

export class ColumnMemo {
  private readonly answers = new Map<string, Answer>();
  private lookups = 0;
  private repeats = 0;
  active = true;

  /**
   * `scanString(text, ctx)`, with the classes found added to `ctx.hits` as the scan would.
   * Called per whole cell, when `ctx.hits` is still 0, so all it holds after a scan is
   * this text's.
   */
  scan(text: string, ctx: ScanContext): string | null {
    const known = this.answers.get(text);
    let masked: string | null;
    if (known !== undefined) {
      this.repeats++;
      // Every class of a remembered answer was seen when it was first scanned.
      ctx.hits |= known.hits;
      masked = known.masked;
    } else {
      masked = scanString(text, ctx);
      if (this.answers.size < MAX_ENTRIES) {
        this.answers.set(text, { masked, hits: ctx.hits });
      }
    }
    if (++this.lookups === WINDOW) {
      if (this.repeats < MIN_REPEATS) {
        this.active = false;
        this.answers.clear();
      }
      this.lookups = 0;
      this.repeats = 0;
    }
    return masked;
  }
}
