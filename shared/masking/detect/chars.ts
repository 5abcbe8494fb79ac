/** Character tests shared by the detectors, on UTF-16 code units to avoid allocating strings. */

export function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

export function isUpper(c: number): boolean {
  return c >= 65 && c <= 90;
}

/** An ASCII letter of either case. */
export function isLetter(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}

export function isAlnum(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}

export function isHex(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);
}

/** Standard base64 alphabet (no padding). */
export function isBase64(c: number): boolean {
  return isAlnum(c) || c === 43 || c === 47;
}

export function isBase64Url(c: number): boolean {
  return isAlnum(c) || c === 45 || c === 95;
}

/** Reads the digit at `i` as a number (caller knows it is a digit). */
export function digitAt(s: string, i: number): number {
  return s.charCodeAt(i) - 48;
}
