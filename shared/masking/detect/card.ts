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

/** Luhn over the digits of s[start, end) read right to left, as a reversed number is written. */
export function luhnValidReversed(s: string, start: number, end: number): boolean {
  let sum = 0;
  let double = false;
  for (let i = start; i < end; i++) {
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

/** First four digits of the reversed number: the last four of s[start, end), right to left. */
export function lastFourReversed(s: string, start: number, end: number): number {
  let v = 0;
  let n = 0;
  for (let i = end - 1; i >= start && n < 4; i--) {
    const c = s.charCodeAt(i);
    if (!isDigit(c)) continue;
    v = v * 10 + (c - 48);
    n++;
  }
  return v;
}

/**
 * Lengths each issuer prints, for numbers read backwards: a reversal has no printed grouping
 * to vouch for it, so it must also have its issuer's length. Lax where issuers are (5x, 6x).
 */
function issuerLength(firstFour: number, digits: number): boolean {
  const d1 = Math.floor(firstFour / 1000);
  const d12 = Math.floor(firstFour / 100);
  if (d1 === 4) return digits === 13 || digits === 16 || digits === 19;
  if (d12 === 34 || d12 === 37) return digits === 15;
  if (d1 === 2 || (d12 >= 51 && d12 <= 55)) return digits === 16;
  if (d12 === 35) return digits >= 16;
  if (d1 === 3) return digits >= 14;
  return digits >= 16 || (d1 === 5 && digits >= 12);
}

/** True when s[start, end) holds `digits` digits that are a card number written backwards. */
export function reversedCard(s: string, start: number, end: number, digits: number): boolean {
  const first = lastFourReversed(s, start, end);
  return plausibleIssuer(first) && issuerLength(first, digits) && luhnValidReversed(s, start, end);
}

/**
 * True when s[start, end), all digits, is a card number with zeros put in front: Luhn does not
 * see leading zeros, so `0004111111111111111` checks as the card it pads (a way past a scan
 * that wants a card to start with its issuer). What follows the zeros must start with an
 * issuer and have that issuer's length, as a reversal must, since nothing printed vouches for it.
 */
export function paddedCard(s: string, start: number, end: number): boolean {
  let from = start;
  while (from < end && s.charCodeAt(from) === 48) from++;
  const digits = end - from;
  if (from === start || digits < 13 || digits > 19) return false;
  const first = firstFourDigits(s, from, end);
  return plausibleIssuer(first) && issuerLength(first, digits) && luhnValid(s, from, end);
}
