import { z } from 'zod';
import type { Origin, Possible, ResourceView } from '../types.js';
import { type ExpressionScope, evaluate, isExpression, known } from './expression.js';
import {
  bicepDeclarations,
  type Declaration,
  DeclarationCursor,
  jsonDeclarations,
  propertyLine,
} from './locate.js';

/**
 * Resources of an ARM template (as written, or compiled from Bicep), nested deployments
 * included, each readable through ResourceView. Parameters take the values the parent
 * deployment passes, else their defaults; a resource whose condition is false with those
 * values is left out, as Azure would leave it out.
 */

export interface SourceText {
  file: string;
  text: string;
  language: 'bicep' | 'json';
}

export interface TemplateInput {
  /** The template JSON: the file itself, or `bicep build` output. */
  json: unknown;
  source: SourceText;
  /** The source of a Bicep module path as written in `from` (for line numbers), when it was read. */
  resolveModule?: (from: string, path: string) => SourceText | undefined;
}

const resourceSchema = z.looseObject({
  type: z.string(),
  name: z.unknown().optional(),
  condition: z.unknown().optional(),
  scope: z.unknown().optional(),
  properties: z.unknown().optional(),
});
type ArmResource = z.infer<typeof resourceSchema>;

const templateSchema = z.looseObject({
  $schema: z.string().optional(),
  parameters: z.record(z.string(), z.looseObject({ defaultValue: z.unknown().optional() })).default({}),
  variables: z.record(z.string(), z.unknown()).default({}),
  resources: z.union([z.array(resourceSchema), z.record(z.string(), resourceSchema)]).default([]),
});

const deploymentSchema = z.looseObject({
  template: z.unknown().optional(),
  parameters: z.record(z.string(), z.unknown()).default({}),
});

/** True when `json` looks like an ARM deployment template. */
export function isTemplate(json: unknown): boolean {
  const t = templateSchema.safeParse(json);
  return t.success && (t.data.$schema ?? '').toLowerCase().includes('deploymenttemplate.json');
}

type DeploymentScope = NonNullable<ResourceView['deploymentScope']>;

function deploymentScopeOf(schema: string | undefined, fallback: DeploymentScope): DeploymentScope {
  const s = (schema ?? '').toLowerCase();
  if (s.includes('subscriptiondeploymenttemplate')) return 'subscription';
  if (s.includes('managementgroupdeploymenttemplate')) return 'managementGroup';
  if (s.includes('tenantdeploymenttemplate')) return 'tenant';
  if (s.includes('deploymenttemplate')) return 'resourceGroup';
  return fallback;
}

class SourceCursor {
  readonly decls: Declaration[];
  readonly cursor: DeclarationCursor;
  constructor(readonly source: SourceText) {
    this.decls = source.language === 'bicep' ? bicepDeclarations(source.text) : jsonDeclarations(source.text);
    this.cursor = new DeclarationCursor(this.decls);
  }

  origin(type: string): Origin {
    const isModule = type.toLowerCase() === 'microsoft.resources/deployments';
    const decl = this.cursor.take(isModule ? 'module' : type);
    const after = decl
      ? this.decls.find(
          (d) => d.line > decl.line && (this.source.language === 'bicep' || d.type !== 'module'),
        )?.line
      : undefined;
    const { text, language, file } = this.source;
    return {
      file,
      line: decl?.line,
      lineOf: (property) =>
        decl ? propertyLine(text, decl.line, after, property, language === 'json') : undefined,
    };
  }

  declarationFor(origin: Origin): Declaration | undefined {
    return this.decls.find((d) => d.line === origin.line);
  }
}

function templateScope(
  t: z.infer<typeof templateSchema>,
  passed: (name: string) => Possible | undefined,
): ExpressionScope {
  const params = new Map<string, Possible>();
  const vars = new Map<string, Possible>();
  const resolving = new Set<string>();
  const scope: ExpressionScope = {
    parameter(name) {
      const hit = params.get(name);
      if (hit) return hit;
      const fromParent = passed(name);
      const decl = t.parameters[name];
      const value =
        fromParent ??
        (decl?.defaultValue === undefined
          ? { values: [], unknown: true }
          : evaluate(decl.defaultValue, scope));
      params.set(name, value);
      return value;
    },
    variable(name) {
      const hit = vars.get(name);
      if (hit) return hit;
      // A variable referring to itself (invalid, but input) must not recurse forever.
      if (resolving.has(name) || !(name in t.variables)) return { values: [], unknown: true };
      resolving.add(name);
      const value = evaluate(t.variables[name], scope);
      resolving.delete(name);
      vars.set(name, value);
      return value;
    },
  };
  return scope;
}

function at(value: unknown, key: string): unknown {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && Object.hasOwn(value, key)
    ? (value as Record<string, unknown>)[key]
    : undefined;
}

function readPath(root: unknown, path: string, scope: ExpressionScope): Possible {
  let current: Possible = known(root);
  for (const key of path.split('.')) {
    const values: unknown[] = [];
    let unknown = current.unknown;
    for (const v of current.values) {
      if (typeof v !== 'object' || v === null || Array.isArray(v)) {
        if (v !== undefined) unknown = true;
        else values.push(undefined);
        continue;
      }
      // ARM property names are case-insensitive.
      const entry = Object.entries(v).find(([k]) => k.toLowerCase() === key.toLowerCase());
      if (!entry) {
        values.push(undefined);
        continue;
      }
      const next = evaluate(entry[1], scope);
      unknown ||= next.unknown;
      values.push(...next.values);
    }
    current = { values, unknown };
  }
  return current;
}

function rawPath(root: unknown, path: string): unknown {
  let v = root;
  for (const key of path.split('.')) {
    if (typeof v !== 'object' || v === null) return undefined;
    const entry = Object.entries(v).find(([k]) => k.toLowerCase() === key.toLowerCase());
    v = entry?.[1];
  }
  return v;
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function walk(
  json: unknown,
  passed: (name: string) => Possible | undefined,
  src: SourceCursor,
  input: TemplateInput,
  parentScope: DeploymentScope,
  out: ResourceView[],
): void {
  const t = templateSchema.parse(json);
  const scope = templateScope(t, passed);
  const deploymentScope = deploymentScopeOf(t.$schema, parentScope);
  const resources: ArmResource[] = Array.isArray(t.resources) ? t.resources : Object.values(t.resources);
  for (const r of resources) {
    const origin = src.origin(r.type);
    // `existing` resources (symbolic-name templates) are references, not declarations.
    if ((r as { existing?: unknown }).existing === true) continue;
    if (r.condition !== undefined) {
      const c = evaluate(r.condition, scope);
      if (!c.unknown && c.values.every((v) => v === false)) continue;
    }
    const nameValue = evaluate(r.name, scope);
    const name =
      !nameValue.unknown && typeof nameValue.values[0] === 'string'
        ? nameValue.values[0]
        : text(r.name ?? '');
    if (r.type.toLowerCase() === 'microsoft.resources/deployments') {
      const d = deploymentSchema.safeParse(r.properties);
      if (!d.success || d.data.template === undefined) continue;
      const params = d.data.parameters;
      const childPassed = (p: string): Possible | undefined => {
        const given = at(params[p], 'value');
        return given === undefined ? undefined : evaluate(given, scope);
      };
      const decl = src.declarationFor(origin);
      const moduleSource =
        src.source.language === 'bicep' && decl?.path !== undefined
          ? input.resolveModule?.(src.source.file, decl.path)
          : undefined;
      walk(
        d.data.template,
        childPassed,
        moduleSource ? new SourceCursor(moduleSource) : src,
        input,
        deploymentScope,
        out,
      );
      continue;
    }
    out.push({
      id: `${r.type}/${name}`,
      type: r.type,
      name,
      origin,
      fromTemplate: true,
      described: true,
      deploymentScope,
      scopeText: r.scope === undefined ? undefined : text(r.scope),
      read: (path) => readPath(r, path, scope),
      raw: (path) => rawPath(r, path),
    });
  }
}

/** Every resource the template (and its nested deployments) declares. */
export function templateResources(input: TemplateInput): ResourceView[] {
  const out: ResourceView[] = [];
  walk(input.json, () => undefined, new SourceCursor(input.source), input, 'resourceGroup', out);
  return out;
}

export { isExpression };
