import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { loadOrCreateDevIssuer } from '../../shared/identity/index.js';
import { DEFAULT_STATE_DIR, DEV_AUDIENCE, DEV_ISSUER } from '../dev/host.js';
import { formatTable } from '../format-table.js';
import type { CliIo } from '../io.js';

const HELP = `Usage: agentgate query --connection ID [--token T] [--url URL] [--max-rows N] [--json] "SQL"

Sends the statement to a running gateway (default http://localhost:\${PORT:-7071}) and prints
the rows as a table, or the error. Without --token, mints a dev agent token ("cli-agent").`;

const success = z.object({
  requestId: z.string(),
  columns: z.array(z.object({ name: z.string(), type: z.string() })),
  rows: z.array(z.record(z.string(), z.unknown())),
  rowCount: z.number(),
  truncated: z.boolean(),
  masking: z.object({ cellsMasked: z.number() }).passthrough().nullish(),
});
const failure = z.object({
  requestId: z.string().optional(),
  error: z.object({ code: z.string(), message: z.string() }),
});

export async function runQueryCommand(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      connection: { type: 'string', short: 'c' },
      token: { type: 'string' },
      url: { type: 'string' },
      'max-rows': { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean' },
    },
  });
  if (values.help) {
    io.stdout.write(`${HELP}\n`);
    return 0;
  }
  const sql = positionals.join(' ').trim();
  if (!values.connection || sql.length === 0) {
    io.stderr.write('agentgate query: give --connection ID and a statement\n');
    return 2;
  }
  let token = values.token;
  if (!token) {
    const issuer = await loadOrCreateDevIssuer({
      dir: join(io.cwd, DEFAULT_STATE_DIR),
      issuer: io.env.AGENTGATE_DEV_ISSUER ?? DEV_ISSUER,
      audience: DEV_AUDIENCE,
    });
    token = await issuer.mint({ agent: 'cli-agent', ttlSeconds: 300 });
  }
  const base = values.url ?? `http://localhost:${io.env.PORT ?? 7071}`;
  const maxRows = values['max-rows'] === undefined ? undefined : Number(values['max-rows']);
  let res: Response;
  try {
    res = await fetch(`${base}/api/v1/connections/${encodeURIComponent(values.connection)}/query`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ sql, ...(maxRows === undefined ? {} : { maxRows }) }),
      signal: AbortSignal.timeout(60_000),
    });
  } catch (e) {
    io.stderr.write(
      `agentgate query: cannot reach ${base} (${e instanceof Error ? e.message : String(e)}). Is 'npm start' running?\n`,
    );
    return 1;
  }
  const text = await res.text();
  if (values.json) {
    io.stdout.write(`${text}\n`);
    return res.ok ? 0 : 1;
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    io.stderr.write(`agentgate query: HTTP ${res.status}: ${text.slice(0, 500)}\n`);
    return 1;
  }
  const ok = success.safeParse(body);
  if (res.ok && ok.success) {
    const d = ok.data;
    io.stdout.write(
      `${formatTable(
        d.columns.map((c) => c.name),
        d.rows,
      )}\n`,
    );
    const masked = d.masking?.cellsMasked ?? 0;
    io.stdout.write(
      `(${d.rowCount} row${d.rowCount === 1 ? '' : 's'}${d.truncated ? ', truncated' : ''}${masked ? `, ${masked} cells masked` : ''}; request ${d.requestId})\n`,
    );
    return 0;
  }
  const err = failure.safeParse(body);
  if (err.success) {
    io.stderr.write(`error ${res.status} ${err.data.error.code}: ${err.data.error.message}\n`);
  } else {
    io.stderr.write(`agentgate query: unexpected HTTP ${res.status}: ${text.slice(0, 500)}\n`);
  }
  return 1;
}
