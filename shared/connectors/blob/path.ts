/**
 * Blob paths as the gateway accepts them: `container/name/in/container`, already
 * percent-decoded once by the transport, and canonical. The gateway never repairs a path (no
 * normalising `a/../b` into `b`): anything that is not already canonical is refused, so what
 * the allowlist checks is exactly what the SDK is asked for.
 */

/** Azure's container naming rule: 3-63 lower-case letters, digits and single hyphens. */
export const CONTAINER_NAME = /^(?=.{3,63}$)[a-z0-9]+(?:-[a-z0-9]+)*$/;

/**
 * One path segment: letters and digits of any script plus a few reviewed punctuation marks.
 * `%` is refused so an encoded `..` or `/` (`%2e%2e`, `%2f`, or double-encoded) can never be
 * decoded by anyone downstream; `\`, control characters, NUL and look-alike slashes are not in
 * the set either.
 */
const SEGMENT = /^[\p{L}\p{N}._\-=+@,~() ]{1,255}$/u;

/** The longest blob path the gateway handles (Azure's limit on a blob name is 1,024). */
export const MAX_BLOB_PATH = 1024;

export interface BlobPath {
  container: string;
  /** The blob's name within its container (no leading slash). */
  name: string;
}

/** Why `segments` are not canonical, or undefined when they are. */
function segmentProblem(segment: string): string | undefined {
  if (segment === '.' || segment === '..') return 'relative segments (. or ..) are not allowed';
  if (!SEGMENT.test(segment)) return 'a path segment holds a character the gateway does not accept';
  if (segment.startsWith(' ') || segment.endsWith(' ') || segment.endsWith('.')) {
    return 'a path segment may not start or end with a space, or end with a dot';
  }
  return undefined;
}

/** Why `raw` is not a canonical blob path (or prefix, with `prefix`), or undefined. */
export function blobPathProblem(raw: string, options: { prefix?: boolean } = {}): string | undefined {
  if (raw.length === 0 || raw.length > MAX_BLOB_PATH) return 'the path is empty or too long';
  if (raw.normalize('NFC') !== raw) return 'the path is not in Unicode normal form C';
  if (raw.startsWith('/')) return 'absolute paths are not allowed';
  const segments = raw.split('/');
  // A prefix may end with `/` (a folder); a blob name may not.
  if (options.prefix && segments.length > 1 && segments.at(-1) === '') segments.pop();
  if (!CONTAINER_NAME.test(segments[0] ?? '')) return 'the first segment is not a container name';
  for (const segment of segments.slice(1)) {
    if (segment === '') return 'empty path segments (//) are not allowed';
    const problem = segmentProblem(segment);
    if (problem) return problem;
  }
  if (!options.prefix && segments.length < 2) return 'the path names a container, not a blob';
  return undefined;
}

/** Splits a canonical path (checked with `blobPathProblem`) into container and name. */
export function splitBlobPath(path: string): BlobPath {
  const slash = path.indexOf('/');
  return slash < 0
    ? { container: path, name: '' }
    : { container: path.slice(0, slash), name: path.slice(slash + 1) };
}

/** The exposed roots of a connection: container -> name prefixes (`''` for the whole container). */
export type BlobAllowlist = Readonly<Record<string, readonly string[]>>;

/**
 * Whether `path` (a canonical blob path or listing prefix) lies inside an exposed root. A
 * prefix is compared as a whole folder: `exports/` allows `exports/a.csv`, never
 * `exports-private/a.csv`.
 */
export function isExposed(allow: BlobAllowlist, path: BlobPath): boolean {
  const prefixes = Object.hasOwn(allow, path.container) ? allow[path.container] : undefined;
  if (!prefixes) return false;
  return prefixes.some((p) => p === '' || path.name.startsWith(p));
}

/** A configured prefix as a folder: canonical, and ending with `/` unless it is the container. */
export function folderPrefix(prefix: string): string {
  if (prefix === '' || prefix.endsWith('/')) return prefix;
  return `${prefix}/`;
}
