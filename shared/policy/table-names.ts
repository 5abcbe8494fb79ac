import type { PolicyFile } from './parse-file.js';

/** A policy text that compares `context.tables` with a name the gateway never puts there. */
export interface TableNameWarning {
  file: string;
  line: number;
  name: string;
  message: string;
}

// `context.tables` holds lower-cased, schema-qualified names (`public.payments`), so a
// comparison with `payments` or `Public.Payments` validates and never matches.
const TABLES_CALL = /context\s*\.\s*tables\s*\.\s*(?:containsAny|containsAll|contains)\s*\(([^)]*)\)/g;
const TABLES_EQ = /context\s*\.\s*tables\s*==\s*\[([^\]]*)\]/g;
const STRING = /"((?:[^"\\]|\\.)*)"/g;
const QUALIFIED_LOWER = /^[^.\sA-Z]+\.[^.\sA-Z]+$/;

/** Warnings for every string compared with `context.tables` that is not `schema.table` in lower case. */
export function tableNameWarnings(files: readonly PolicyFile[]): TableNameWarning[] {
  const warnings: TableNameWarning[] = [];
  for (const file of files) {
    const text = stripComments(file.text);
    for (const pattern of [TABLES_CALL, TABLES_EQ]) {
      for (const call of text.matchAll(pattern)) {
        const argsStart = (call.index ?? 0) + call[0].indexOf(call[1]);
        for (const literal of call[1].matchAll(STRING)) {
          const name = literal[1];
          if (QUALIFIED_LOWER.test(name)) continue;
          const suggestion = suggest(name);
          warnings.push({
            file: file.name,
            line: lineOf(text, argsStart + (literal.index ?? 0)),
            name,
            message:
              `context.tables holds lower-case, schema-qualified names; "${name}" never matches` +
              (suggestion === name ? '' : ` (did you mean "${suggestion}"?)`),
          });
        }
      }
    }
  }
  return warnings;
}

function suggest(name: string): string {
  const lower = name.toLowerCase();
  return lower.includes('.') ? lower : `public.${lower}`;
}

/** Line comments blanked out (lengths kept, so offsets still give the right line). */
function stripComments(text: string): string {
  return text.replace(/\/\/[^\n]*/g, (c) => ' '.repeat(c.length));
}

function lineOf(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}
