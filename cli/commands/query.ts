import { parseArgs } from 'node:util';
import { z } from 'zod';
import { parseDuration, parsePrincipalSpec, UsageError } from '../args.js';
import { callGateway, Unreachable } from '../http.js';
import type { CliIo } from '../io.js';
import { printAnswer, printCallJson, rowsTable, tableText } from '../output.js';
import { QUERY_EXIT_CODES, reportPending } from './query-pending.js';
import { mintDevToken } from './token.js';

const HELP = `Usage: agentgate query --connection ID [--as agent:NAME|human:NAME] [--group G]... [--role R]...
                       [--token T] [--url URL] [--max-rows N] [--callback-url URL] [--json] "SQL"

Sends the statement to the running gateway and prints the rows as a table, or the error with
its code, message, policy ids, reasons and request id. The gateway is found from --url, else
AGENTGATE_URL, else the lock file of the "agentgate dev" running in this project, else PORT,
else http://localhost:7071. Without --token, mints a short-lived dev token for --as (default
agent:cli-agent) with the project's dev key. NULL cells print as NULL, empty strings as "".

Example:
  agentgate query --as human:alice --group data-stewards -c demo "select id, email from customers limit 3"

A statement that policy sends to people is stored for approval (HTTP 202): the request id,
its status URL and the command to follow it are printed, and the exit code is 3. With
--callback-url the gateway POSTs a signed notice there when the request ends (allowlisted
hosts only; see docs/operations.md).

Exit codes: 0 rows returned, 3 waiting for approval (nothing ran yet), 1 refused or failed (the
error says why), 2 usage.`;

const success = z.object({
  requestId: z.string(),
  columns: z.array(z.object({ name: z.string(), type: z.string() })),
  rows: z.array(z.record(z.string(), z.unknown())),
  rowCount: z.number(),
  truncated: z.boolean(),
  masking: z.object({ cellsMasked: z.number() }).passthrough().nullish(),
});

export async function runQueryCommand(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      connection: { type: 'string', short: 'c' },
      as: { type: 'string' },
      group: { type: 'string', multiple: true },
      role: { type: 'string', multiple: true },
      token: { type: 'string' },
      url: { type: 'string' },
      'max-rows': { type: 'string' },
      'callback-url': { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    io.stdout.write(`${HELP}\n`);
    return 0;
  }
  const sql = positionals.join(' ').trim();
  if (!values.connection || sql.length === 0) {
    io.stderr.write('agentgate query: give --connection ID and a statement (see --help)\n');
    return 2;
  }
  const maxRows = values['max-rows'] === undefined ? undefined : Number(values['max-rows']);
  if (maxRows !== undefined && (!Number.isInteger(maxRows) || maxRows < 1)) {
    io.stderr.write('agentgate query: --max-rows must be a whole number, 1 or more\n');
    return 2;
  }
  let token = values.token;
  if (!token) {
    try {
      const spec = parsePrincipalSpec(values.as ?? 'agent:cli-agent');
      token = await mintDevToken(io, spec, {
        groups: values.group ?? [],
        roles: values.role ?? [],
        ttlSeconds: parseDuration('5m'),
      });
    } catch (e) {
      if (!(e instanceof UsageError)) throw e;
      io.stderr.write(`agentgate query: ${e.message}\n`);
      return 2;
    }
  } else if (values.as || values.group || values.role) {
    io.stderr.write('agentgate query: --as, --group and --role mint a dev token; not with --token\n');
    return 2;
  }
  let call: Awaited<ReturnType<typeof callGateway>>;
  try {
    call = await callGateway(io, `/api/v1/connections/${encodeURIComponent(values.connection)}/query`, {
      method: 'POST',
      token,
      url: values.url,
      body: {
        sql,
        ...(maxRows === undefined ? {} : { maxRows }),
        ...(values['callback-url'] === undefined ? {} : { callbackUrl: values['callback-url'] }),
      },
    });
  } catch (e) {
    if (!(e instanceof Unreachable)) throw e;
    io.stderr.write(`agentgate query: ${e.message}\n`);
    return 1;
  }
  // A 202 (held for approval) exits 3 with --json too: a script learns nothing ran.
  if (call.status === 202) {
    if (!values.json) return reportPending(io, call);
    printCallJson(io, call);
    return QUERY_EXIT_CODES.pending;
  }
  return printAnswer(io, call, {
    command: 'query',
    json: values.json,
    schema: success,
    render: (d) => tableText(rowsTable(d, `request ${d.requestId}`)),
  });
}
