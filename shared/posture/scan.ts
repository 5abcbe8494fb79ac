import { isTemplate, type SourceText, templateResources } from './arm/template.js';
import { checkGrants, scanSqlGrants, templateGrants } from './checks/identity.js';
import { checkLocalAuth } from './checks/local-auth.js';
import { checkLogging } from './checks/logging.js';
import { checkNetwork } from './checks/network.js';
import { scanSecrets } from './checks/secrets.js';
import { readInventoryFile } from './inventory.js';
import {
  type Finding,
  type PostureOptions,
  type PostureReport,
  type ResourceView,
  type RoleGrant,
  SEVERITIES,
  type Skipped,
} from './types.js';

/**
 * The posture check over inputs already read: text files (scanned for secrets and database
 * grants), templates (ARM JSON, or Bicep compiled by the caller) and inventories. No I/O here;
 * load.ts reads a directory.
 */

export type PostureInput =
  | { kind: 'text'; file: string; text: string }
  /** An ARM template: `json` is the template, `source` the file it came from (Bicep or JSON) for line numbers. */
  | {
      kind: 'template';
      json: unknown;
      source: SourceText;
      resolveModule?: (from: string, path: string) => SourceText | undefined;
    }
  | { kind: 'inventory'; file: string; json: unknown };

/** Reads JSON text as a template or inventory input, or undefined when it is neither. */
export function classifyJson(file: string, text: string): PostureInput | undefined {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (isTemplate(json)) return { kind: 'template', json, source: { file, text, language: 'json' } };
  return readInventoryFile(file, json) ? { kind: 'inventory', file, json } : undefined;
}

function order(a: Finding, b: Finding): number {
  return (
    SEVERITIES.indexOf(a.severity) - SEVERITIES.indexOf(b.severity) ||
    a.id.localeCompare(b.id) ||
    a.resource.localeCompare(b.resource) ||
    (a.evidence.file ?? '').localeCompare(b.evidence.file ?? '') ||
    (a.evidence.line ?? 0) - (b.evidence.line ?? 0)
  );
}

export function scanPosture(
  inputs: readonly PostureInput[],
  options: PostureOptions = {},
  skipped: readonly Skipped[] = [],
): PostureReport {
  const findings: Finding[] = [];
  const resources: ResourceView[] = [];
  const grants: RoleGrant[] = [];
  const notes: Skipped[] = [...skipped];
  let files = 0;
  let templates = 0;
  for (const input of inputs) {
    switch (input.kind) {
      case 'text':
        files++;
        findings.push(
          ...scanSecrets(input.file, input.text),
          ...scanSqlGrants(input.file, input.text, options),
        );
        break;
      case 'template':
        templates++;
        try {
          resources.push(...templateResources(input));
        } catch (e) {
          notes.push({
            file: input.source.file,
            reason: `not a readable template: ${e instanceof Error ? e.message : String(e)}`,
          });
        }
        break;
      case 'inventory': {
        const inv = readInventoryFile(input.file, input.json);
        if (!inv) {
          notes.push({ file: input.file, reason: 'no resources or role assignments found in it' });
          break;
        }
        resources.push(...inv.resources);
        grants.push(...inv.grants);
        break;
      }
    }
  }
  grants.push(...templateGrants(resources));
  findings.push(
    ...checkLocalAuth(resources),
    ...checkNetwork(resources),
    ...checkLogging(resources),
    ...checkGrants(grants, resources, options),
  );
  findings.sort(order);
  return {
    findings,
    skipped: notes,
    scanned: { files, templates, resources: resources.length, roleAssignments: grants.length },
  };
}
