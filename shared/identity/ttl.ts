const UNIT_SECONDS = { s: 1, m: 60, h: 3600, d: 86_400 } as const;

/** A positive whole number and one unit, nothing else: `90s`, `30m`, `1h`, `2d`. */
const TTL = /^([1-9][0-9]{0,5})([smhd])$/;

/** Parses a token lifetime as typed on the command line; anything else is refused, never guessed. */
export function parseTtl(text: string): number {
  const match = TTL.exec(text);
  if (match === null) {
    throw new TypeError(
      `Invalid token lifetime "${text}": use a number and a unit s, m, h or d (e.g. 30m, 1h).`,
    );
  }
  const [, amount, unit] = match;
  return Number(amount) * UNIT_SECONDS[unit as keyof typeof UNIT_SECONDS];
}
