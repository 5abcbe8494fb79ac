import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import type { TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { skipOutsideCi } from '../support/ci-skip.js';

/**
 * Reading the compiled ARM template of infra/bicep/main.bicep. The template comes from
 * `bicep build` (scripts/bicep.sh writes infra/bicep/main.json); when no fresh main.json exists
 * the tests build one with whatever Bicep CLI they can find, and skip, saying why, without one.
 */

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const BICEP_DIR = join(ROOT, 'infra', 'bicep');
const MAIN_BICEP = join(BICEP_DIR, 'main.bicep');
const MAIN_JSON = join(BICEP_DIR, 'main.json');

const resourceSchema = z.looseObject({
  type: z.string(),
  name: z.string(),
  apiVersion: z.string().optional(),
  condition: z.unknown().optional(),
  scope: z.string().optional(),
  copy: z.looseObject({ name: z.string(), count: z.unknown() }).optional(),
  properties: z.unknown().optional(),
});

export type ArmResource = z.infer<typeof resourceSchema>;

const outputSchema = z.looseObject({ type: z.string(), value: z.unknown().optional() });

export interface ArmTemplate {
  parameters: Record<string, unknown>;
  variables: Record<string, unknown>;
  resources: ArmResource[];
  outputs: Record<string, z.infer<typeof outputSchema>>;
}

const templateSchema = z.looseObject({
  parameters: z.record(z.string(), z.unknown()).default({}),
  variables: z.record(z.string(), z.unknown()).default({}),
  // Bicep emits an object keyed by symbolic name for some language features, an array otherwise.
  resources: z.union([z.array(resourceSchema), z.record(z.string(), resourceSchema)]),
  outputs: z.record(z.string(), outputSchema).default({}),
});

export function parseTemplate(json: unknown): ArmTemplate {
  const t = templateSchema.parse(json);
  const resources = Array.isArray(t.resources) ? t.resources : Object.values(t.resources);
  return { parameters: t.parameters, variables: t.variables, resources, outputs: t.outputs };
}

/** A resource together with the chain of module (nested deployment) names it sits in. */
export interface Located {
  resource: ArmResource;
  /** Module deployment names from the top, e.g. ['roles']; empty at the top level. */
  path: string[];
  /** The template the resource is declared in. */
  template: ArmTemplate;
}

/** Every resource of the template and of its nested deployments, depth first. */
export function allResources(template: ArmTemplate, path: string[] = []): Located[] {
  const found: Located[] = [];
  for (const resource of template.resources) {
    found.push({ resource, path, template });
    const nested = nestedTemplate(resource);
    if (nested) found.push(...allResources(nested, [...path, resource.name]));
  }
  return found;
}

export function nestedTemplate(resource: ArmResource): ArmTemplate | undefined {
  if (resource.type !== 'Microsoft.Resources/deployments') return undefined;
  const props = z.looseObject({ template: z.unknown() }).safeParse(resource.properties);
  return props.success && props.data.template !== undefined ? parseTemplate(props.data.template) : undefined;
}

/** The top-level module deployment with this name, and its parameters as passed by main.bicep. */
export function moduleCall(
  template: ArmTemplate,
  name: string,
): { resource: ArmResource; params: Record<string, unknown>; template: ArmTemplate } {
  const resource = template.resources.find(
    (r) => r.type === 'Microsoft.Resources/deployments' && r.name === name,
  );
  if (!resource) throw new Error(`no module deployment named ${name}`);
  const props = z
    .looseObject({
      // A parameter is { value } or, when Bicep must choose at deployment time, one expression string.
      parameters: z
        .record(z.string(), z.union([z.looseObject({ value: z.unknown() }), z.string()]))
        .default({}),
    })
    .parse(resource.properties);
  const params: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(props.parameters)) params[k] = typeof v === 'string' ? v : v.value;
  const nested = nestedTemplate(resource);
  if (!nested) throw new Error(`module ${name} has no inline template`);
  return { resource, params, template: nested };
}

/** Narrows an unknown to a plain object, failing the test with a readable message otherwise. */
export function asRecord(value: unknown, what: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new Error(`${what} is not an object: ${JSON.stringify(value)}`);
  }
  return value as Record<string, unknown>;
}

export function byType(template: ArmTemplate, type: string): Located[] {
  return allResources(template).filter((l) => l.resource.type.toLowerCase() === type.toLowerCase());
}

/** Exactly one resource of this type anywhere in the tree. */
export function single(template: ArmTemplate, type: string): Located {
  const all = byType(template, type);
  if (all.length !== 1) throw new Error(`expected one ${type}, found ${all.length}`);
  return all[0]!;
}

export function propsOf(located: Located): Record<string, unknown> {
  return asRecord(located.resource.properties, `${located.resource.type} properties`);
}

function pinnedBicepVersion(): string | undefined {
  const script = readFileSync(join(ROOT, 'scripts', 'bicep.sh'), 'utf8');
  return /^BICEP_VERSION="([^"]+)"/m.exec(script)?.[1];
}

function works(bin: string): boolean {
  const r = spawnSync(bin, ['--version'], { encoding: 'utf8' });
  return r.status === 0;
}

/** BICEP_BIN, then the pinned CLI cached by scripts/bicep.sh in .bicep/, then `bicep` on PATH. */
export function findBicep(): string | undefined {
  const fromEnv = process.env.BICEP_BIN;
  if (fromEnv && works(fromEnv)) return fromEnv;
  const version = pinnedBicepVersion();
  if (version) {
    const cached = join(ROOT, '.bicep', version, 'bicep');
    if (existsSync(cached) && works(cached)) return cached;
  }
  return works('bicep') ? 'bicep' : undefined;
}

function newestSource(): number {
  const files = [
    MAIN_BICEP,
    join(BICEP_DIR, 'bicepconfig.json'),
    ...readdirSync(join(BICEP_DIR, 'modules')).map((f) => join(BICEP_DIR, 'modules', f)),
  ];
  return Math.max(...files.map((f) => statSync(f).mtimeMs));
}

export type TemplateLoad = { template: ArmTemplate; source: string } | { skip: string };

let cached: TemplateLoad | undefined;

/** The compiled template, or the reason it cannot be had here. Built once per test process. */
export function loadCompiledTemplate(): TemplateLoad {
  if (cached) return cached;
  if (existsSync(MAIN_JSON) && statSync(MAIN_JSON).mtimeMs >= newestSource()) {
    cached = { template: parseTemplate(JSON.parse(readFileSync(MAIN_JSON, 'utf8'))), source: MAIN_JSON };
    return cached;
  }
  const bicep = findBicep();
  if (!bicep) {
    cached = {
      skip:
        'bicep not available: no fresh infra/bicep/main.json and no Bicep CLI (BICEP_BIN, .bicep/ or PATH); ' +
        'run `bash scripts/bicep.sh` to fetch the pinned CLI and compile the template',
    };
    return cached;
  }
  const out = mkdtempSync(join(tmpdir(), 'agentgate-bicep-'));
  try {
    const file = join(out, 'main.json');
    const r = spawnSync(bicep, ['build', MAIN_BICEP, '--outfile', file], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`bicep build failed:\n${r.stdout}${r.stderr}`);
    cached = { template: parseTemplate(JSON.parse(readFileSync(file, 'utf8'))), source: `${bicep} build` };
    return cached;
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

/** The compiled template, or a skip with the reason when no Bicep CLI is available here. */
export function templateOrSkip(t: TestContext): ArmTemplate | undefined {
  const loaded = loadCompiledTemplate();
  if ('skip' in loaded) {
    skipOutsideCi(t, loaded.skip);
    return undefined;
  }
  return loaded.template;
}
