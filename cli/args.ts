/**
 * Argument forms shared by every command, so a principal, a duration or a help flag is
 * written the same way everywhere.
 */

/** A principal as typed on the command line: `agent:NAME` or `human:NAME`. */
export interface PrincipalSpec {
  kind: 'agent' | 'human';
  name: string;
}

const PRINCIPAL = /^(agent|human):([A-Za-z0-9][A-Za-z0-9._@-]{0,127})$/;

export const PRINCIPAL_SYNTAX = 'agent:NAME or human:NAME';

/** Parses `agent:NAME` / `human:NAME`; `user:NAME` is read as `human:NAME` (the audit id form). */
export function parsePrincipalSpec(text: string): PrincipalSpec {
  const m = PRINCIPAL.exec(text.replace(/^user:/, 'human:'));
  if (!m) throw new UsageError(`principal must be ${PRINCIPAL_SYNTAX}, got "${text}"`);
  return { kind: m[1] === 'agent' ? 'agent' : 'human', name: m[2] };
}

/** The id the gateway records for a principal: `agent:NAME` or `user:NAME`. */
export function principalId(spec: PrincipalSpec): string {
  return `${spec.kind === 'agent' ? 'agent' : 'user'}:${spec.name}`;
}

const UNIT_SECONDS = { s: 1, m: 60, h: 3600, d: 86_400 } as const;
const DURATION = /^([1-9][0-9]{0,6})(s|m|h|d)$/;
export const MAX_TTL_SECONDS = 30 * 86_400;

/** `90s`, `15m`, `2h`, `7d`; at most `max` seconds (30 days by default). */
export function parseDuration(text: string, max = MAX_TTL_SECONDS): number {
  const m = DURATION.exec(text.trim());
  if (!m) throw new UsageError(`duration "${text}": use a number and s, m, h or d (e.g. 15m, 2h, 7d)`);
  const seconds = Number(m[1]) * UNIT_SECONDS[m[2] as keyof typeof UNIT_SECONDS];
  if (seconds > max) throw new UsageError(`duration "${text}" is more than ${max / 86_400}d`);
  return seconds;
}

/** A mistake in how a command was called: exit code 2, one line, no stack trace. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** True when argv asks for help in any of the usual spellings. */
export function wantsHelp(argv: readonly string[]): boolean {
  return argv.some((a) => a === '-h' || a === '--help');
}
