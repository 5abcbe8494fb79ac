import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadOrCreateDevIssuer, parseTtl } from '../../shared/identity/index.js';
import { DEFAULT_STATE_DIR, DEV_AUDIENCE, DEV_ISSUER } from '../dev/host.js';
import type { CliIo } from '../io.js';

const HELP = `Usage: agentgate token (--agent NAME | --user NAME) [--group G]... [--role R]... [--ttl 1h]

Prints a token from the local dev issuer (key under .agentgate/) and nothing else on stdout.
--agent makes an app-only agent token; --user a delegated human token. --ttl takes 90s, 30m,
1h or 2d (default 1h). Dev tokens are accepted only by a gateway that trusts the dev issuer.`;

export async function runTokenCommand(argv: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      agent: { type: 'string' },
      user: { type: 'string' },
      group: { type: 'string', multiple: true },
      role: { type: 'string', multiple: true },
      ttl: { type: 'string' },
      help: { type: 'boolean' },
    },
  });
  if (values.help) {
    io.stdout.write(`${HELP}\n`);
    return 0;
  }
  if ((values.agent === undefined) === (values.user === undefined)) {
    io.stderr.write('agentgate token: give exactly one of --agent NAME or --user NAME\n');
    return 2;
  }
  let ttlSeconds: number;
  try {
    ttlSeconds = parseTtl(values.ttl ?? '1h');
  } catch (e) {
    io.stderr.write(`agentgate token: ${e instanceof Error ? e.message : String(e)}\n`);
    return 2;
  }
  const issuer = await loadOrCreateDevIssuer({
    dir: join(io.cwd, DEFAULT_STATE_DIR),
    issuer: io.env.AGENTGATE_DEV_ISSUER ?? DEV_ISSUER,
    audience: DEV_AUDIENCE,
  });
  const token = await issuer.mint({
    ...(values.agent === undefined ? {} : { agent: values.agent }),
    ...(values.user === undefined ? {} : { user: values.user }),
    ...(values.group ? { groups: values.group } : {}),
    ...(values.role ? { roles: values.role } : {}),
    ttlSeconds,
  });
  io.stdout.write(`${token}\n`);
  return 0;
}
