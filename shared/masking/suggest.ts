import { compareClasses } from './classes.js';
import { detect } from './detect/detect.js';

/**
 * Suggestions for the classification file, never applied automatically: from column names
 * (cheap, catches empty tables) and from sampled content (catches badly named columns).
 */
export interface SuggestInput {
  columns: Array<{ /** `schema.table` */ table: string; column: string; samples: unknown[] }>;
}

export interface Suggestion {
  /** `schema.table.column` */
  column: string;
  suggested: string;
  reason: 'name' | 'content';
  confidence: number;
}

/** Name patterns on the column name split into words at `_`, `-` and case changes. */
const NAME_RULES: Array<{ dataClass: string; test: (words: string[], joined: string) => boolean }> = [
  {
    dataClass: 'secret',
    test: (w, j) =>
      w.includes('password') ||
      w.includes('passwd') ||
      w.includes('secret') ||
      j.includes('apikey') ||
      j.includes('api_key'),
  },
  {
    dataClass: 'pci.pan',
    test: (w, j) =>
      w.includes('pan') || j.includes('card_number') || j.includes('cc_num') || j.includes('credit_card'),
  },
  { dataClass: 'pii.ssn', test: (w, j) => w.includes('ssn') || j.includes('social_security') },
  { dataClass: 'pii.iban', test: (w) => w.includes('iban') },
  { dataClass: 'pii.email', test: (w, j) => w.includes('email') || j.includes('e_mail') },
  {
    dataClass: 'pii.phone',
    test: (w) => w.includes('phone') || w.includes('mobile') || w.includes('telephone'),
  },
  {
    dataClass: 'pii.name',
    test: (_w, j) => /(^|_)(full|first|last|given|family|sur)_?name$/.test(j) || j === 'surname',
  },
  {
    dataClass: 'pii.ip',
    test: (w, j) => j.includes('ip_address') || j.includes('ip_addr') || w.includes('ip'),
  },
];

const NAME_CONFIDENCE = 0.8;
const CONTENT_THRESHOLD = 0.5;

function words(column: string): { words: string[]; joined: string } {
  const joined = column
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_');
  return { words: joined.split('_').filter(Boolean), joined };
}

/** The class a field's name says it holds (`ssn`, `cardNumber`, `e-mail`), if any. */
export function classByName(column: string): string | undefined {
  return byName(column);
}

function byName(column: string): string | undefined {
  const { words: w, joined } = words(column);
  return NAME_RULES.find((r) => r.test(w, joined))?.dataClass;
}

/** The class detectors find in the largest share of non-empty samples, with that share. */
function byContent(samples: unknown[]): { dataClass: string; share: number } | undefined {
  const counts = new Map<string, number>();
  let total = 0;
  for (const s of samples) {
    if (s === null || s === undefined || s === '') continue;
    total++;
    const text = typeof s === 'string' ? s : typeof s === 'object' ? JSON.stringify(s) : String(s);
    const classes = new Set(detect(text).map((span) => span.dataClass));
    for (const c of classes) counts.set(c, (counts.get(c) ?? 0) + 1);
  }
  let best: { dataClass: string; share: number } | undefined;
  for (const [dataClass, n] of counts) {
    const share = n / total;
    if (
      !best ||
      share > best.share ||
      (share === best.share && compareClasses(dataClass, best.dataClass) < 0)
    ) {
      best = { dataClass, share };
    }
  }
  return best && best.share >= CONTENT_THRESHOLD ? best : undefined;
}

/** One suggestion per column at most; when name and content disagree the stronger evidence wins. */
export function suggestClasses(input: SuggestInput): Suggestion[] {
  const out: Suggestion[] = [];
  for (const c of input.columns) {
    const column = `${c.table}.${c.column}`;
    const named = byName(c.column);
    const found = byContent(c.samples);
    if (found && (!named || found.share > NAME_CONFIDENCE || found.dataClass === named)) {
      const confidence = found.dataClass === named ? Math.max(found.share, NAME_CONFIDENCE) : found.share;
      out.push({
        column,
        suggested: found.dataClass,
        reason: 'content',
        confidence: Math.round(confidence * 100) / 100,
      });
    } else if (named) {
      out.push({ column, suggested: named, reason: 'name', confidence: NAME_CONFIDENCE });
    }
  }
  return out;
}
