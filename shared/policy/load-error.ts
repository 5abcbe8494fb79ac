import type { DetailedError } from '@cedar-policy/cedar-wasm/nodejs';

/**
 * A policy set that cannot be loaded. Raised at start-up, never per request, so the
 * message may name files and positions: it is for the operator who wrote the policy.
 */
export class PolicyLoadError extends Error {
  /** Name of the file at fault (`agents.cedar`, `schema.cedarschema`). */
  readonly file: string;

  constructor(file: string, message: string, options?: { cause?: unknown }) {
    super(`${file}: ${message}`, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'PolicyLoadError';
    this.file = file;
  }
}

/**
 * Cedar's message with its help and the line/column of its first source location.
 * `offset` shifts Cedar's positions when they are relative to one policy inside `text`.
 */
export function describeCedarError(error: DetailedError, text?: string, offset = 0): string {
  const parts = [error.message];
  if (error.help) parts.push(`(${error.help})`);
  const location = error.sourceLocations?.[0];
  if (location !== undefined && text !== undefined) {
    const { line, column } = lineAndColumn(text, offset + location.start);
    parts.push(`at line ${line}, column ${column}${location.label ? `: ${location.label}` : ''}`);
  }
  return parts.join(' ');
}

function lineAndColumn(text: string, index: number): { line: number; column: number } {
  const before = text.slice(0, Math.max(0, Math.min(index, text.length)));
  const lines = before.split('\n');
  return { line: lines.length, column: lines[lines.length - 1].length + 1 };
}
