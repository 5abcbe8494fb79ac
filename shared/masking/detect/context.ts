/**
 * Words that vouch for a bare number. Nine bare digits are an SSN and ten a phone number
 * only when the text just before them says so: ids, account numbers and counters have the
 * same shapes, and a bare `4155550132` must stay as it is.
 */

/** How far back a context word may stand: `SSN (primary holder): 123456789` still counts. */
const WINDOW = 24;

const SSN_WORDS = /(?:^|[^a-z])(?:ssn|ss#|ss no|social security|soc\.? ?sec)/;
const PHONE_WORDS =
  /(?:^|[^a-z])(?:phone|ph|tel|telephone|mobile|mob|cell|fax|call|sms|whatsapp|contact|dial)(?:[^a-z]|$)/;

function before(s: string, start: number): string {
  return s.slice(Math.max(0, start - WINDOW), start).toLowerCase();
}

export function saysSsn(s: string, start: number): boolean {
  return SSN_WORDS.test(before(s, start));
}

export function saysPhone(s: string, start: number): boolean {
  return PHONE_WORDS.test(before(s, start));
}

// Right before a dotted quad: `version 5.0.100.48`, `build: 10.0.19041.1` (red-team round 44).
const VERSION_WORDS = /(?:^|[^a-z])(?:version|ver|v|build|release|rev|firmware|fw)[ \t:=#]*$/;

/** The dotted number at `start` is a version, as the word right before it says. */
export function saysVersion(s: string, start: number): boolean {
  return VERSION_WORDS.test(before(s, start));
}
