import type { Masker } from '../masking/index.js';

/** What a masked segment becomes when its operator shows nothing at all (`null`). */
const WITHHELD = '[REDACTED]';

/** Where the detectors found something, and the path as the caller may see it. */
export interface MaskedName {
  path: string;
  masked: boolean;
}

/**
 * A blob path (or prefix) with what the content detectors find in each of its segments
 * masked, with the caller's posture (classes it may see in clear stay clear). Segments are
 * masked one by one so that the folder structure stays visible and no value spans a `/`.
 * The detectors see through the disguises they handle elsewhere (spaced or dashed card
 * numbers, `(at)` e-mail addresses, encodings): a name is content like any other.
 */
export function maskedBlobName(masker: Masker, path: string, unmasked: ReadonlySet<string>): MaskedName {
  let masked = false;
  const segments = path.split('/').map((segment) => {
    if (segment === '') return segment;
    const out = masker.maskText(segment, unmasked) ?? WITHHELD;
    if (out !== segment) masked = true;
    return out;
  });
  return { path: masked ? segments.join('/') : path, masked };
}
