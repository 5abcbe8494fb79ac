import { parseArgs } from 'node:util';
import {
  findBicep,
  loadInputs,
  maskSecrets,
  type PostureInput,
  type PostureReport,
  SEVERITIES,
  type Severity,
  type Skipped,
  scanPosture,
  severityRank,
  toJson,
  toSarif,
} from '../../shared/posture/index.js';
import { fetchLiveInputs } from '../../shared/posture/live.js';
import { formatTable } from '../format-table.js';
import type { CliIo } from '../io.js';

const HELP = `Usage: agentgate posture <path>... [--json | --sarif] [--fail-on <severity>]
                         [--gateway-principal <id or name>]... [--bicep <path>] [--allow-incomplete]
       agentgate posture --live --subscription <id> [same options]

Finds the paths by which an agent can reach data without agentgate. Each path is a directory
(repository, CI files, .env files) or a file: Bicep (compiled with the Bicep CLI), ARM JSON
templates, and exported inventories (the JSON of az resource list, az role assignment list,
az network nsg list, az storage account list, az cosmosdb list, az monitor diagnostic-settings
list, or Azure Resource Graph results). Findings: static secrets, broad and data-plane roles,
open egress and public data stores, data stores without request logs, keys left on.

  --json                 the report as JSON
  --sarif                SARIF 2.1.0 for code-scanning tools
  --fail-on <severity>   exit 1 when a finding is at least this severe (critical, high, medium, low)
  --gateway-principal X  agentgate's own identity (object id or name): its grants are expected
  --bicep <path>         the Bicep CLI (else BICEP_BIN, .bicep/*/bicep, or bicep on PATH)
  --allow-incomplete     exit 0/1 even when some input could not be analysed (default: exit 2)
  --live                 read the subscription through Azure Resource Graph and ARM, signed in
                         with DefaultAzureCredential (az login, managed identity, environment)
  --subscription <id>    the subscription --live reads

Examples:
  agentgate posture infra/bicep
  agentgate posture . inventory/role-assignments.json --sarif --fail-on high > posture.sarif

Found secrets are masked in every output. Exit codes: 0 clean, 1 findings at the --fail-on
severity or above, 2 usage error or an input that could not be analysed.`;

const VERSION = '0.1.0';

function renderTable(report: PostureReport): string {
  if (report.findings.length === 0) return 'No findings.';
  const rows = report.findings.map((f) => ({
    severity: f.severity,
    id: f.id,
    resource: f.resource,
    evidence:
      f.evidence.line !== undefined
        ? `${f.evidence.file}:${f.evidence.line}`
        : (f.evidence.resourceId ?? f.evidence.file ?? ''),
    finding: f.message,
  }));
  const counts = SEVERITIES.map((s) => `${report.findings.filter((f) => f.severity === s).length} ${s}`).join(
    ', ',
  );
  // Every cell passes the masking detectors once more before it reaches a terminal.
  return maskSecrets(
    `${formatTable(['severity', 'id', 'resource', 'evidence', 'finding'], rows, 70)}\n\n${report.findings.length} findings (${counts}). agentgate posture --json shows why each matters and how to fix it.`,
  );
}

/** The live reader with DefaultAzureCredential; loaded only for --live, as @azure/identity is large. */
async function readLive(
  subscriptionId: string,
  io: CliIo,
): Promise<Awaited<ReturnType<typeof fetchLiveInputs>> | undefined> {
  const { DefaultAzureCredential } = await import('@azure/identity');
  const credential = new DefaultAzureCredential();
  try {
    return await fetchLiveInputs({
      subscriptionId,
      getToken: async () => {
        const t = await credential.getToken('https://management.azure.com/.default');
        if (!t) throw new Error('no token for Azure Resource Manager');
        return t.token;
      },
      fetch: (url, init) => fetch(url, init),
    });
  } catch (e) {
    io.stderr.write(`agentgate posture: --live: ${e instanceof Error ? e.message : String(e)}\n`);
    return undefined;
  }
}

export async function runPostureCommand(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      json: { type: 'boolean' },
      sarif: { type: 'boolean' },
      'fail-on': { type: 'string' },
      'gateway-principal': { type: 'string', multiple: true },
      bicep: { type: 'string' },
      'allow-incomplete': { type: 'boolean' },
      live: { type: 'boolean' },
      subscription: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    io.stdout.write(`${HELP}\n`);
    return 0;
  }
  const failOn = values['fail-on'];
  if (failOn !== undefined && !(SEVERITIES as readonly string[]).includes(failOn)) {
    io.stderr.write(
      `agentgate posture: --fail-on must be one of ${SEVERITIES.join(', ')}, got "${failOn}"\n`,
    );
    return 2;
  }
  if (values.json && values.sarif) {
    io.stderr.write('agentgate posture: choose one of --json and --sarif\n');
    return 2;
  }
  if (positionals.length === 0 && !values.live) {
    io.stderr.write(`agentgate posture: name at least one directory or file, or --live\n\n${HELP}\n`);
    return 2;
  }
  if (values.live && values.subscription === undefined) {
    io.stderr.write('agentgate posture: --live needs --subscription <id>\n');
    return 2;
  }
  const inputs: PostureInput[] = [];
  const skipped: Skipped[] = [];
  if (values.live && values.subscription !== undefined) {
    const live = await readLive(values.subscription, io);
    if (!live) return 2;
    inputs.push(...live.inputs);
    skipped.push(...live.skipped);
  }
  const bicep = positionals.length > 0 ? findBicep(values.bicep, io.env, io.cwd) : undefined;
  for (const p of positionals) {
    let loaded: ReturnType<typeof loadInputs>;
    try {
      loaded = loadInputs(p, { bicep });
    } catch (e) {
      io.stderr.write(`agentgate posture: cannot read ${p}: ${e instanceof Error ? e.message : String(e)}\n`);
      return 2;
    }
    inputs.push(...loaded.inputs);
    skipped.push(...loaded.skipped);
  }
  const report = scanPosture(inputs, { gatewayPrincipals: values['gateway-principal'] ?? [] }, skipped);
  if (values.sarif) io.stdout.write(`${JSON.stringify(toSarif(report, VERSION), null, 2)}\n`);
  else if (values.json) io.stdout.write(`${JSON.stringify(toJson(report), null, 2)}\n`);
  else io.stdout.write(`${renderTable(report)}\n`);
  for (const s of report.skipped)
    io.stderr.write(`agentgate posture: not analysed: ${maskSecrets(s.file)}: ${s.reason}\n`);
  if (report.skipped.length > 0 && !values['allow-incomplete']) return 2;
  const threshold = failOn === undefined ? undefined : severityRank(failOn as Severity);
  return threshold !== undefined && report.findings.some((f) => severityRank(f.severity) >= threshold)
    ? 1
    : 0;
}
