import type { ResultColumn, Row } from '../types.js';

/** A detected sensitive substring: `text.slice(start, end)` belongs to `dataClass`. */
export interface Span {
  start: number;
  end: number;
  dataClass: string;
}

/**
 * What to do with one result column. `classified`: mask every cell whole with the operator of
 * the chosen class; `candidates` lists every class the column reads (most restrictive first)
 * so the masker can pick by operator and by what the caller may see. `scan`: run the content
 * detectors over each cell.
 */
export type ColumnPlan =
  | {
      kind: 'classified';
      column: string;
      dataClass: string;
      candidates: string[];
      via: 'source' | 'expression' | 'star';
    }
  | { kind: 'scan'; column: string };

export interface MaskingReport {
  /** Column name -> class it was masked as (for scanned columns: the most restrictive class found). */
  columns: Record<string, string>;
  /** Cells changed by masking; a cell counts once however many spans it had. */
  cellsMasked: number;
  /** Cells masked per class; a cell counts once per class it contained. */
  byClass: Record<string, number>;
}

export interface MaskResultInput {
  columns: ResultColumn[];
  rows: Row[];
  plan: ColumnPlan[];
  /** Classes the caller may see in clear (decided by policy, never by the caller). */
  unmasked: ReadonlySet<string>;
}

export interface Masker {
  /**
   * Masked rows and what was masked; throws `masking_failed`, never half-masks. The input is
   * never modified: a row with something to mask is copied, a row with nothing is passed on.
   */
  maskResult(input: MaskResultInput): { rows: Row[]; report: MaskingReport };
  /** The same, giving the event loop a turn every few milliseconds of masking. */
  maskResultInSlices(input: MaskResultInput): Promise<{ rows: Row[]; report: MaskingReport }>;
  /** One value masked whole as `dataClass`. */
  maskValue(value: unknown, dataClass: string): unknown;
  /** Text with every detected span masked (null when a span's operator is `null`). */
  maskText(text: string, unmasked?: ReadonlySet<string>): string | null;
}

export interface MaskerOptions {
  /** Data class -> operator spec, merged over the built-in defaults. */
  operators?: Record<string, string>;
  /** HMAC key for the token operator (from Key Vault in Azure). */
  tokenKey?: string | Uint8Array;
  /** Milliseconds of masking between turns of the event loop in maskResultInSlices. */
  sliceMs?: number;
}
