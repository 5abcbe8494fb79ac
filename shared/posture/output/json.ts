import { maskDeep } from '../mask.js';
import { type PostureReport, SEVERITIES } from '../types.js';

/** The report as JSON for machines: findings, what was not analysed, counts by severity. */
export function toJson(report: PostureReport): Record<string, unknown> {
  const counts = Object.fromEntries(
    SEVERITIES.map((s) => [s, report.findings.filter((f) => f.severity === s).length]),
  );
  return maskDeep({
    findings: report.findings,
    skipped: report.skipped,
    scanned: report.scanned,
    counts,
  });
}
