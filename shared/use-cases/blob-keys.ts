import { compareClasses } from '../masking/classes.js';
import { detect, type Masker, type MaskingReport } from '../masking/index.js';
import { setOwn } from '../own-property.js';
import type { Row } from '../types.js';

/** What a field name holding a finding is released as; its own value is scanned as any other. */
const PLACEHOLDER = /^\[redacted:\d+\]$/;

/** The class a renamed field is reported as when no built-in detector names what it held. */
const FIELD_CLASS = 'secret.unproven';

/**
 * The field names of a blob are its content, not the caller's words: a CSV header or a JSON
 * object's keys may be a card number or an email (a pivot keyed by customer; red-team round
 * 33). They go out as column names, row keys and the masking report's keys (in the audit
 * too), so each is scanned like a value, and one holding a finding the caller may not see is
 * replaced whole by `[redacted:n]`: part of a name cannot be masked safely, since two masked
 * names may clash. One instance names one read, so a field keeps its name across batches; a
 * field already spelled like a placeholder is renamed too, so names stay unique.
 */
export class ContentKeys {
  readonly #masker: Masker;
  readonly #unmasked: ReadonlySet<string>;
  readonly #names = new Map<string, string>();
  /** Renamed fields and the class each is reported as, until `report` takes them. */
  readonly #found = new Map<string, string>();
  #counter = 0;

  constructor(masker: Masker, unmasked: ReadonlySet<string>) {
    this.#masker = masker;
    this.#unmasked = unmasked;
  }

  /** The name a field is released under. */
  nameOf(key: string): string {
    const known = this.#names.get(key);
    if (known !== undefined) return known;
    let name = key;
    if (PLACEHOLDER.test(key) || this.#masker.maskText(key, this.#unmasked) !== key) {
      name = `[redacted:${++this.#counter}]`;
      const classes = detect(key)
        .map((s) => s.dataClass)
        .filter((c) => !this.#unmasked.has(c))
        .sort(compareClasses);
      this.#found.set(name, classes[0] ?? FIELD_CLASS);
    }
    this.#names.set(key, name);
    return name;
  }

  /** The row under released names: the same object when none of its names changes. */
  row(row: Row): Row {
    let renamed = false;
    for (const key in row) if (this.nameOf(key) !== key) renamed = true;
    if (!renamed) return row;
    const out: Row = {};
    for (const key in row) setOwn(out, this.nameOf(key), row[key]);
    return out;
  }

  async *rows(rows: AsyncIterable<Row>): AsyncIterable<Row> {
    for await (const row of rows) yield this.row(row);
  }

  /** Counts the renamed fields in the report, each once per read, under its placeholder. */
  report(into: MaskingReport): void {
    for (const [name, dataClass] of this.#found) {
      const had = into.columns[name];
      // What the field's values were found to hold may be the more restrictive class.
      if (had === undefined || compareClasses(dataClass, had) < 0) into.columns[name] = dataClass;
      into.cellsMasked++;
      into.byClass[dataClass] = (into.byClass[dataClass] ?? 0) + 1;
    }
    this.#found.clear();
  }
}
