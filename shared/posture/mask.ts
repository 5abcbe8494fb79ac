import { detect } from '../masking/index.js';
import { rule } from './rules.js';
import type { Evidence, Finding, Severity } from './types.js';

/** What a masked secret is shown as. */
export const SECRET_MARK = '[secret]';

/**
 * `text` with every secret the masking detectors find replaced. Other classes (addresses,
 * emails) stay: a posture report needs `0.0.0.0/0` in clear, and it only ever quotes config.
 */
export function maskSecrets(text: string): string {
  const spans = detect(text);
  let out = '';
  let at = 0;
  for (const s of spans) {
    if (s.dataClass !== 'secret') continue;
    out += text.slice(at, s.start) + SECRET_MARK;
    at = s.end;
  }
  return at === 0 ? text : out + text.slice(at);
}

/** Every string in `value` (keys too) with secrets masked; used on whole reports before they leave. */
export function maskDeep<T>(value: T): T {
  if (typeof value === 'string') return maskSecrets(value) as T;
  if (Array.isArray(value)) return value.map((v) => maskDeep(v)) as T;
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[maskSecrets(k)] = maskDeep(v);
    return out as T;
  }
  return value;
}

/** A finding of rule `id`, with its why and fix from the catalogue and its evidence masked. */
export function finding(
  id: string,
  resource: string,
  message: string,
  evidence: Evidence,
  severity?: Severity,
): Finding {
  const r = rule(id);
  const ev: Evidence = { ...evidence };
  if (ev.excerpt !== undefined) ev.excerpt = maskSecrets(ev.excerpt.trim()).slice(0, 300);
  return {
    id,
    severity: severity ?? r.severity,
    resource: maskSecrets(resource),
    message: maskSecrets(message),
    evidence: ev,
    why: r.why,
    fix: r.fix,
  };
}
