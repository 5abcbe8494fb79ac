import { maskDeep } from '../mask.js';
import { RULES } from '../rules.js';
import type { Finding, PostureReport, Severity } from '../types.js';

/**
 * SARIF 2.1.0, as code-scanning tools read it: one run, a rule per finding id with its why and
 * fix, `security-severity` for ranking, a physical location for file findings and a logical
 * one (the resource id) for inventory findings. Inputs that could not be analysed are
 * tool execution notifications, so an incomplete scan does not look clean.
 */

const LEVEL: Record<Severity, 'error' | 'warning' | 'note'> = {
  critical: 'error',
  high: 'error',
  medium: 'warning',
  low: 'note',
};

/** GitHub's bands: critical >= 9, high 7–8.9, medium 4–6.9, low < 4. */
const SECURITY_SEVERITY: Record<Severity, string> = {
  critical: '9.5',
  high: '8.0',
  medium: '5.5',
  low: '3.0',
};

function location(f: Finding): Record<string, unknown> {
  const loc: Record<string, unknown> = {};
  if (f.evidence.file !== undefined) {
    const region: Record<string, unknown> = {};
    if (f.evidence.line !== undefined) region.startLine = f.evidence.line;
    if (f.evidence.excerpt !== undefined) region.snippet = { text: f.evidence.excerpt };
    loc.physicalLocation = {
      artifactLocation: { uri: encodeURI(f.evidence.file) },
      ...(Object.keys(region).length > 0 && f.evidence.line !== undefined ? { region } : {}),
    };
  }
  if (f.evidence.resourceId !== undefined || f.resource !== f.evidence.file) {
    loc.logicalLocations = [{ fullyQualifiedName: f.evidence.resourceId ?? f.resource, kind: 'resource' }];
  }
  return loc;
}

export function toSarif(report: PostureReport, toolVersion: string): Record<string, unknown> {
  const ids = [...new Set(report.findings.map((f) => f.id))].sort();
  const rules = ids.map((id) => {
    const r = RULES.get(id);
    if (!r) throw new TypeError(`unknown rule ${id}`);
    return {
      id,
      name: id.replace(/[.-](\w)/g, (_, c: string) => c.toUpperCase()),
      shortDescription: { text: r.title },
      fullDescription: { text: r.why },
      help: { text: `${r.why}\n\nFix: ${r.fix}`, markdown: `${r.why}\n\n**Fix:** ${r.fix}` },
      defaultConfiguration: { level: LEVEL[r.severity] },
      properties: {
        tags: ['security', id.split('.')[0]],
        'security-severity': SECURITY_SEVERITY[r.severity],
      },
    };
  });
  const results = report.findings.map((f) => ({
    ruleId: f.id,
    ruleIndex: ids.indexOf(f.id),
    level: LEVEL[f.severity],
    message: { text: `${f.message}. Fix: ${f.fix}` },
    locations: [location(f)],
    properties: {
      severity: f.severity,
      'security-severity': SECURITY_SEVERITY[f.severity],
      resource: f.resource,
    },
  }));
  const notifications = report.skipped.map((s) => ({
    level: 'error',
    message: { text: `${s.file}: ${s.reason}` },
    locations: [{ physicalLocation: { artifactLocation: { uri: encodeURI(s.file) } } }],
  }));
  return maskDeep({
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'agentgate-posture',
            version: toolVersion,
            rules,
          },
        },
        invocations: [
          { executionSuccessful: report.skipped.length === 0, toolExecutionNotifications: notifications },
        ],
        results,
      },
    ],
  });
}
