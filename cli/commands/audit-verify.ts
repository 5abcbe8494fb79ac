import { createHash, randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { DefaultAzureCredential } from '@azure/identity';
import { ContainerClient } from '@azure/storage-blob';
import { z } from 'zod';
import { BlobCheckpointArchive } from '../../shared/audit/chain/blob-checkpoint-archive.js';
import type { CheckpointArchive, CheckpointStore } from '../../shared/audit/chain/checkpoint-store.js';
import type { LaneHeadStore } from '../../shared/audit/chain/lane-head-store.js';
import type { AuditLaneReader } from '../../shared/audit/chain/lane-reader.js';
import { type CheckpointPublicJwk, jwksSchema, LocalEs256Signer } from '../../shared/audit/chain/signers.js';
import { type VerifyReport, verifyAuditChain } from '../../shared/audit/chain/verify.js';
import { parseDuration, parsePrincipalSpec } from '../args.js';
import { isLocalArchiveUrl, localArchiveAt } from '../dev/checkpoint-archive.js';
import { readDevLock } from '../dev/lock.js';
import type { CliIo } from '../io.js';
import { printReport, tableText } from '../output.js';
import { projectStateDir, resolveGatewayUrl } from '../project.js';
import { httpVerifySource } from './audit-verify-http.js';
import { mintDevToken } from './token.js';

const HELP = `Usage: agentgate audit verify [--url URL] [--token T | --as human:NAME --group G...]
                              [--json] [--state FILE] [--keys JWKS_FILE] [--archive URL]

Recomputes every audit lane from its records and checks every signed checkpoint: a modified,
deleted, inserted or reordered record, a truncated lane, a checkpoint with a bad signature,
and a rollback to an older checkpoint than the one verified last (kept in a state file under
.agentgate, one per gateway URL; --state to choose). Exits 1 on any failure, 2 on a usage or
connection error.
It reads the running gateway's export routes (GET /api/v1/audit/lanes, .../checkpoints,
.../jwks): the local host by default, or --url. Without --token a dev token is minted for
--as (default human:cli-auditor in group auditors) with the project's dev key; a deployment
needs an auditor's Entra token (--token, or AGENTGATE_TOKEN).
--keys pins the trusted public keys (a JWKS file); without it the gateway's JWKS is used.
--archive compares every checkpoint with the write-once archive container (its https URL,
read with your Azure identity): one missing from it or different from it is a failure.
--archive without a URL (or with the loopback URL the local host prints) reads the local
host's archive on its Azurite.`;

/** What to verify: the stores of the local host (in-process), or later a deployment. */
export interface AuditVerifySource {
  lanes: number;
  reader: AuditLaneReader;
  checkpoints: CheckpointStore;
  heads?: LaneHeadStore;
  /** The store takes appends meanwhile (a running gateway): see VerifyOptions.live. */
  live?: boolean;
  /** Trusted keys; when absent (and no --keys), the local host's checkpoint key. */
  keys?: readonly CheckpointPublicJwk[];
  origin?: string;
  /** The write-once checkpoint archive to compare with (tests; else --archive). */
  archive?: CheckpointArchive;
}

export const VERIFY_STATE_FILE = 'audit-verify-state.json';

const stateSchema = z.object({
  version: z.literal(1),
  seq: z.number().int().nonnegative(),
  hash: z.string().regex(/^[0-9a-f]{64}$/),
  verifiedAt: z.string(),
});

type VerifyState = z.output<typeof stateSchema>;

async function readState(path: string): Promise<VerifyState | null> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    value = undefined;
  }
  const parsed = stateSchema.safeParse(value);
  // A damaged state file is not a first run: silently starting over would hide a rollback.
  if (!parsed.success)
    throw new Error(`${path} is not a verify state file; move it away only if you know why.`);
  return parsed.data;
}

async function writeState(path: string, state: VerifyState): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const temp = `${path}.${randomUUID()}.tmp`;
  await writeFile(temp, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
  await rename(temp, path);
}

async function readKeys(path: string): Promise<CheckpointPublicJwk[]> {
  const parsed = jwksSchema.safeParse(JSON.parse(await readFile(path, 'utf8')));
  if (!parsed.success) throw new Error(`${path} is not a JWKS of ES256 P-256 keys`);
  return parsed.data.keys;
}

function summary(report: VerifyReport): string {
  const rows = report.lanes.map((l) => ({
    lane: l.lane,
    events: l.events,
    sealed: l.sealed,
    status: l.ok ? 'ok' : l.failure?.kind,
    'first bad index': l.failure?.index ?? '',
    detail: l.failure?.detail ?? '',
  }));
  const c = report.checkpoints;
  const lines = [
    '',
    `checkpoints: ${c.count}, ${c.ok ? 'ok' : 'FAILED'}${c.latest ? `, latest seq ${c.latest.seq}` : ''}`,
  ];
  for (const f of c.failures) lines.push(`  checkpoint ${f.seq ?? '?'}: ${f.kind} (${f.detail})`);
  const attested = report.lanes.reduce((n, l) => n + (l.attested ?? 0), 0);
  if (attested > 0) {
    lines.push(
      `${attested} events were masked for you: their hashes are the gateway's recomputation over the stored events`,
    );
  }
  lines.push(`audit chain: ${report.ok ? 'OK' : 'FAILED'} (${report.events} events)`);
  return tableText({
    columns: ['lane', 'events', 'sealed', 'status', 'first bad index', 'detail'],
    rows,
    maxWidth: 70,
    footer: lines,
  });
}

interface VerifyArgs {
  json?: boolean | undefined;
  state?: string | undefined;
  keys?: string | undefined;
  archive?: string | undefined;
  url?: string | undefined;
  token?: string | undefined;
  as?: string | undefined;
  group?: string[] | undefined;
  help?: boolean | undefined;
}

/** A bare `--archive` (last, or before another option) names the local host's archive. */
const LOCAL_ARCHIVE = 'local';

function parseVerifyArgs(argv: string[]): VerifyArgs {
  const args = argv.flatMap((a, i) =>
    a === '--archive' && (i === argv.length - 1 || argv[i + 1]?.startsWith('-'))
      ? [`--archive=${LOCAL_ARCHIVE}`]
      : [a],
  );
  return parseArgs({
    args,
    options: {
      json: { type: 'boolean' },
      state: { type: 'string' },
      keys: { type: 'string' },
      archive: { type: 'string' },
      url: { type: 'string' },
      token: { type: 'string' },
      as: { type: 'string' },
      group: { type: 'string', multiple: true },
      help: { type: 'boolean', short: 'h' },
    },
  }).values;
}

/** One state file per gateway: the rollback check compares a gateway only with itself. */
export function stateFileFor(url: string): string {
  const tag = createHash('sha256').update(url).digest('hex').slice(0, 16);
  return `audit-verify-state-${tag}.json`;
}

/** The running gateway's chain over HTTP, and its keys (pinned with --keys, else its JWKS). */
async function remoteSource(
  io: CliIo,
  values: VerifyArgs,
): Promise<{ source: AuditVerifySource; url: string }> {
  const { url } = await resolveGatewayUrl(io, values.url);
  const token =
    values.token ??
    io.env.AGENTGATE_TOKEN ??
    (await mintDevToken(io, parsePrincipalSpec(values.as ?? 'human:cli-auditor'), {
      groups: values.group ?? (values.as === undefined ? ['auditors'] : []),
      ttlSeconds: parseDuration('15m'),
    }));
  const remote = await httpVerifySource({ baseUrl: url, token });
  // With --keys the pinned keys are read by the caller; the gateway's own JWKS is not asked.
  const keys = values.keys === undefined ? await remote.jwks() : undefined;
  return { source: { ...remote.source, ...(keys ? { keys } : {}) }, url };
}

/**
 * The archive container at `url`, read as the caller (az login, a pipeline identity); the
 * local host's Azurite for a loopback http URL, or for `local` the one its lock file names.
 */
async function archiveAt(io: CliIo, url: string): Promise<CheckpointArchive> {
  if (url === LOCAL_ARCHIVE) {
    const lock = await readDevLock(projectStateDir(io));
    if (!lock?.archiveUrl) throw new Error('no local host with a checkpoint archive is running here');
    return localArchiveAt(lock.archiveUrl);
  }
  if (isLocalArchiveUrl(url)) return localArchiveAt(url);
  const parsed = z.url({ protocol: /^https$/ }).safeParse(url);
  if (!parsed.success) throw new Error('--archive must be the https URL of the archive container');
  return new BlobCheckpointArchive(new ContainerClient(parsed.data, new DefaultAzureCredential()));
}

async function runVerify(
  io: CliIo,
  values: VerifyArgs,
  given: AuditVerifySource | undefined,
): Promise<{ report: VerifyReport; state: VerifyState | null; statePath: string }> {
  const stateDir = join(io.cwd, '.agentgate');
  const remote = given === undefined || values.url !== undefined ? await remoteSource(io, values) : undefined;
  const source = (remote?.source ?? given) as AuditVerifySource;
  const defaultState = remote ? stateFileFor(remote.url) : VERIFY_STATE_FILE;
  const statePath = values.state === undefined ? join(stateDir, defaultState) : resolve(io.cwd, values.state);
  const state = await readState(statePath);
  const keys =
    values.keys !== undefined
      ? await readKeys(resolve(io.cwd, values.keys))
      : (source.keys ?? [await (await LocalEs256Signer.fromStateDir(stateDir)).publicJwk()]);
  const archive = values.archive === undefined ? source.archive : await archiveAt(io, values.archive);
  const report = await verifyAuditChain({
    lanes: source.lanes,
    reader: source.reader,
    checkpoints: source.checkpoints,
    keys,
    ...(source.heads ? { heads: source.heads } : {}),
    ...(source.live ? { live: true } : {}),
    ...(source.origin ? { origin: source.origin } : {}),
    ...(archive ? { archive } : {}),
    trusted: state ? { seq: state.seq, hash: state.hash } : null,
  });
  return { report, state, statePath };
}

/**
 * `agentgate audit verify`. Tests may pass a store-backed `source`; otherwise the running
 * gateway is read over HTTP. On success the newest verified checkpoint is written to the
 * state file, so a later run notices if the store was rolled back behind it.
 */
export async function runAuditVerify(argv: string[], io: CliIo, source?: AuditVerifySource): Promise<number> {
  let values: VerifyArgs;
  try {
    values = parseVerifyArgs(argv);
  } catch (e) {
    io.stderr.write(`agentgate audit verify: ${e instanceof Error ? e.message : String(e)}\n`);
    return 2;
  }
  if (values.help) {
    io.stdout.write(`${HELP}\n`);
    return 0;
  }
  let run: Awaited<ReturnType<typeof runVerify>>;
  try {
    run = await runVerify(io, values, source);
  } catch (e) {
    io.stderr.write(`agentgate audit verify: ${e instanceof Error ? e.message : String(e)}\n`);
    return 2;
  }
  const { report, state, statePath } = run;
  const latest = report.checkpoints.latest;
  if (report.ok && latest && (state === null || latest.seq >= state.seq)) {
    await writeState(statePath, {
      version: 1,
      seq: latest.seq,
      hash: latest.hash,
      verifiedAt: new Date().toISOString(),
    });
  }
  printReport(io, values.json, report, () => summary(report));
  return report.ok ? 0 : 1;
}
