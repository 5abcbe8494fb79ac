import {
  getCedarSDKVersion,
  getCedarVersion,
  type PolicyJson,
  type SchemaJson,
  schemaToJson,
} from '@cedar-policy/cedar-wasm/nodejs';
import { z } from 'zod';
import { canonicalSha256 } from '../audit/canonical.js';
import type { PolicyFile } from './parse-file.js';

/**
 * A record, written when the package is built, that this exact set of files (schema and
 * policies, byte for byte) parsed and validated strictly with this Cedar version, with what
 * parsing found in each file. Cedar's parse and validation of the shipped set is most of a
 * cold start (hundreds of milliseconds of WASM compiling as it first runs); with the stamp the
 * gateway goes straight to preparsing, which parses each policy again and fails on any error.
 *
 * Only the packaged policy directory is trusted with a stamp (see loadPolicyEngine): a
 * directory an operator points the gateway at is always validated in full. The digest binds
 * every byte and the Cedar version, so an edited file, an added or removed one, or another
 * Cedar build makes the stamp not apply, and the full load runs as if there were none.
 *
 * The stamp also carries the schema in Cedar's JSON form, as Cedar converted it when the stamp
 * was made: preparsing that takes a tenth of the time of parsing the schema's text (about 13
 * against 75-150 ms on a cold process), the largest single step left in the self-check.
 */

export const STAMP_FILE = 'policies.validated.json';

const HEX64 = /^[0-9a-f]{64}$/;

/** The Cedar build a stamp holds for: its SDK and its language version. */
function cedarBuild(): string {
  return `${getCedarSDKVersion()}/${getCedarVersion()}`;
}

const stampSchema = z.object({
  version: z.literal(2),
  cedar: z.string(),
  digest: z.string().regex(HEX64),
  // Cedar checks it when it preparses: a stamp whose JSON is not a schema fails the load.
  schemaJson: z.record(z.string(), z.unknown()),
  files: z.array(
    z.object({
      name: z.string(),
      policies: z.array(
        z.object({
          text: z.string(),
          effect: z.enum(['permit', 'forbid']),
          annotations: z.record(z.string(), z.string()),
        }),
      ),
    }),
  ),
});

export type PolicyStamp = z.output<typeof stampSchema>;

/** What parsing found of one policy: its text, effect and annotations (what readPolicyMeta reads). */
export type ParsedPolicy = PolicyStamp['files'][number]['policies'][number];

/**
 * The digest over the Cedar build, the schema, and each file (sorted by name) with what
 * parsing found in it: a stamp applies only to the bytes it was made from, and says of them
 * only what was found when it was made.
 */
function stampDigest(
  files: readonly PolicyFile[],
  schemaText: string,
  schemaJson: unknown,
  parsed: ReadonlyMap<string, readonly ParsedPolicy[]>,
): string {
  const sorted = [...files].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return canonicalSha256({
    cedar: cedarBuild(),
    schema: schemaText,
    schemaJson,
    files: sorted.map((f) => [f.name, f.text, parsed.get(f.name) ?? null]),
  });
}

/** Cedar's JSON form of a schema that has just validated; a failure here is Cedar's fault. */
function schemaJsonOf(schemaText: string): Record<string, unknown> {
  const answer = schemaToJson(schemaText);
  if (answer.type === 'failure') {
    throw new Error(
      `Cedar could not convert the schema to JSON: ${answer.errors.map((e) => e.message).join('; ')}`,
    );
  }
  return answer.json as Record<string, unknown>;
}

/** The stamp for files whose full load (parse and strict validation) has just succeeded. */
export function makeStamp(
  files: readonly PolicyFile[],
  schemaText: string,
  parsed: ReadonlyMap<string, readonly ParsedPolicy[]>,
): PolicyStamp {
  const schemaJson = schemaJsonOf(schemaText);
  return {
    version: 2,
    cedar: cedarBuild(),
    digest: stampDigest(files, schemaText, schemaJson, parsed),
    schemaJson,
    files: files.map((f) => ({ name: f.name, policies: [...(parsed.get(f.name) ?? [])] })),
  };
}

/** What an applied stamp gives the load: each file's parsed policies, and the schema as JSON. */
export interface StampedLoad {
  parsed: Map<string, ParsedPolicy[]>;
  schemaJson: SchemaJson<string>;
}

/**
 * What a stamp gives when `text` is one made from exactly these files by this Cedar build;
 * undefined when it is malformed, for other bytes or another Cedar, or names other files
 * (then the caller loads in full, as without a stamp).
 */
export function applyStamp(
  text: string,
  files: readonly PolicyFile[],
  schemaText: string,
): StampedLoad | undefined {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return undefined;
  }
  const stamp = stampSchema.safeParse(json);
  if (!stamp.success) return undefined;
  const byName = new Map(stamp.data.files.map((f) => [f.name, f.policies]));
  if (byName.size !== files.length || files.some((f) => !byName.has(f.name))) return undefined;
  if (stamp.data.digest !== stampDigest(files, schemaText, stamp.data.schemaJson, byName)) return undefined;
  // The digest binds the JSON to the schema text it was made from; Cedar checks its shape.
  return { parsed: byName, schemaJson: stamp.data.schemaJson as SchemaJson<string> };
}

/** The part of Cedar's policy JSON that the gateway reads (effect and annotations). */
export function parsedOf(json: PolicyJson, text: string): ParsedPolicy {
  return { text, effect: json.effect, annotations: { ...(json.annotations ?? {}) } };
}
