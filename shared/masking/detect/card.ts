import { isDigit } from './chars.js';

/** Luhn checksum over the digits of s[start, end), ignoring separators. */
export function luhnValid(s: string, start: number, end: number): boolean {
  let sum = 0;
  let double = false;
  for (let i = end - 1; i >= start; i--) {
    const c = s.charCodeAt(i);
    if (!isDigit(c)) continue;
    let d = c - 48;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return sum % 10 === 0;
}

/**
 * Issuer prefixes in use: Visa 4, Mastercard 51–55 and 2221–2720, Mir 2200–2204, Amex 34/37,
 * Diners 30/36/38/39, JCB 35, Discover/UnionPay/Maestro/RuPay 5x and 6x. Excludes 1, 7, 8,
 * 9 and 0, which rules out epoch timestamps and most internal numbering.
 */
export function plausibleIssuer(firstFour: number): boolean {
  const d1 = Math.floor(firstFour / 1000);
  const d2 = Math.floor(firstFour / 100) % 10;
  switch (d1) {
    case 2:
      return (firstFour >= 2200 && firstFour <= 2204) || (firstFour >= 2221 && firstFour <= 2720);
    case 3:
      return d2 !== 1 && d2 !== 2 && d2 !== 3;
    case 4:
    case 5:
    case 6:
      return true;
    default:
      return false;
  }
}

/** First four digits of s[start, end) as a number, skipping separators. */
export function firstFourDigits(s: string, start: number, end: number): number {
  let v = 0;
  let n = 0;
  for (let i = start; i < end && n < 4; i++) {
    const c = s.charCodeAt(i);
    if (!isDigit(c)) continue;
    v = v * 10 + (c - 48);
    n++;
  }
  return v;
}
