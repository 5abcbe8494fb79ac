import { randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import type { CheckpointStore } from '../../shared/audit/chain/checkpoint-store.js';
import type { LaneHeadStore } from '../../shared/audit/chain/lane-head-store.js';
import type { AuditLaneReader } from '../../shared/audit/chain/lane-reader.js';
import { type CheckpointPublicJwk, jwksSchema, LocalEs256Signer } from '../../shared/audit/chain/signers.js';
import { type VerifyReport, verifyAuditChain } from '../../shared/audit/chain/verify.js';
import { formatTable } from '../format-table.js';
import type { CliIo } from '../io.js';

const HELP = `Usage: agentgate audit verify [--json] [--state FILE] [--keys JWKS_FILE] [--url URL]

Recomputes every audit lane from its records and checks every signed checkpoint: a modified,
deleted, inserted or reordered record, a truncated lane, a checkpoint with a bad signature,
and a rollback to an older checkpoint than the one verified last (kept in the state file,
default .agentgate/audit-verify-state.json). Exits 1 on any failure, 2 on a usage error.
--keys pins the trusted public keys (a JWKS file); without it the local host's key is used.
--url (a deployment, with an auditor's token in AGENTGATE_TOKEN) is not available yet.`;

/** What to verify: the stores of the local host (in-process), or later a deployment. */
export interface AuditVerifySource {
  lanes: number;
  reader: AuditLaneReader;
  checkpoints: CheckpointStore;
  heads?: LaneHeadStore;
  /** Trusted keys; when absent (and no --keys), the local host's checkpoint key. */
  keys?: readonly CheckpointPublicJwk[];
  origin?: string;
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
  const lines = [formatTable(['lane', 'events', 'sealed', 'status', 'first bad index', 'detail'], rows, 70)];
  const c = report.checkpoints;
  lines.push('');
  lines.push(
    `checkpoints: ${c.count}, ${c.ok ? 'ok' : 'FAILED'}${c.latest ? `, latest seq ${c.latest.seq}` : ''}`,
  );
  for (const f of c.failures) lines.push(`  checkpoint ${f.seq ?? '?'}: ${f.kind} (${f.detail})`);
  lines.push(`audit chain: ${report.ok ? 'OK' : 'FAILED'} (${report.events} events)`);
  return `${lines.join('\n')}\n`;
}

/**
 * `agentgate audit verify`. The caller passes the local host's stores as `source` (the CLI
 * entry builds them); on success the newest verified checkpoint is written to the state
 * file, so a later run notices if the store was rolled back behind it.
 */
export async function runAuditVerify(argv: string[], io: CliIo, source?: AuditVerifySource): Promise<number> {
  let values: { json?: boolean; state?: string; keys?: string; url?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        json: { type: 'boolean' },
        state: { type: 'string' },
        keys: { type: 'string' },
        url: { type: 'string' },
        help: { type: 'boolean' },
      },
    }));
  } catch (e) {
    io.stderr.write(`agentgate audit verify: ${e instanceof Error ? e.message : String(e)}\n`);
    return 2;
  }
  if (values.help) {
    io.stdout.write(`${HELP}\n`);
    return 0;
  }
  if (values.url !== undefined) {
    io.stderr.write('agentgate audit verify: --url (verify a deployment) is not available yet\n');
    return 2;
  }
  if (source === undefined) {
    io.stderr.write('agentgate audit verify: no audit store to verify (run it against the local host)\n');
    return 2;
  }
  const stateDir = join(io.cwd, '.agentgate');
  const statePath =
    values.state === undefined ? join(stateDir, VERIFY_STATE_FILE) : resolve(io.cwd, values.state);
  let report: VerifyReport;
  let state: VerifyState | null;
  try {
    state = await readState(statePath);
    const keys =
      values.keys !== undefined
        ? await readKeys(resolve(io.cwd, values.keys))
        : (source.keys ?? [await (await LocalEs256Signer.fromStateDir(stateDir)).publicJwk()]);
    report = await verifyAuditChain({
      lanes: source.lanes,
      reader: source.reader,
      checkpoints: source.checkpoints,
      keys,
      ...(source.heads ? { heads: source.heads } : {}),
      ...(source.origin ? { origin: source.origin } : {}),
      trusted: state ? { seq: state.seq, hash: state.hash } : null,
    });
  } catch (e) {
    io.stderr.write(`agentgate audit verify: ${e instanceof Error ? e.message : String(e)}\n`);
    return 2;
  }
  const latest = report.checkpoints.latest;
  if (report.ok && latest && (state === null || latest.seq >= state.seq)) {
    await writeState(statePath, {
      version: 1,
      seq: latest.seq,
      hash: latest.hash,
      verifiedAt: new Date().toISOString(),
    });
  }
  io.stdout.write(values.json ? `${JSON.stringify(report, null, 2)}\n` : summary(report));
  return report.ok ? 0 : 1;
}
