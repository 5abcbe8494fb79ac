import { parseArgs } from 'node:util';
import { loadOrCreateDevIssuer } from '../../shared/identity/index.js';
import {
  PRINCIPAL_SYNTAX,
  type PrincipalSpec,
  parseDuration,
  parsePrincipalSpec,
  UsageError,
} from '../args.js';
import type { CliIo } from '../io.js';
import { DEV_AUDIENCE, DEV_ISSUER, projectStateDir } from '../project.js';

const HELP = `Usage: agentgate token --as agent:NAME|human:NAME [--group G]... [--role R]... [--ttl 1h]

Prints a token from the local dev issuer and nothing else on stdout. The key is kept in the
project's .agentgate/ folder (found from any subdirectory), the one "agentgate dev" trusts.
agent:NAME makes an app-only agent token; human:NAME a delegated human token. --ttl takes
90s, 15m, 2h or 7d (default 1h, at most 30d). --agent NAME and --user NAME still work.
Dev tokens are accepted only by a gateway that trusts the dev issuer.

Example:
  TOKEN=$(agentgate token --as human:alice --group data-stewards --ttl 15m)

Exit codes: 0 printed, 2 usage.`;

/** The principal from --as, or from the older --agent / --user spellings. */
export function principalFromFlags(values: { as?: string; agent?: string; user?: string }): PrincipalSpec {
  const given = [values.as, values.agent, values.user].filter((v) => v !== undefined);
  if (given.length !== 1) throw new UsageError(`give exactly one principal: --as ${PRINCIPAL_SYNTAX}`);
  if (values.agent !== undefined) return parsePrincipalSpec(`agent:${values.agent}`);
  if (values.user !== undefined) return parsePrincipalSpec(`human:${values.user}`);
  return parsePrincipalSpec(values.as ?? '');
}

export async function mintDevToken(
  io: CliIo,
  spec: PrincipalSpec,
  extra: { groups?: string[]; roles?: string[]; ttlSeconds: number },
): Promise<string> {
  const issuer = await loadOrCreateDevIssuer({
    dir: projectStateDir(io),
    issuer: io.env.AGENTGATE_DEV_ISSUER ?? DEV_ISSUER,
    audience: DEV_AUDIENCE,
  });
  return issuer.mint({
    ...(spec.kind === 'agent' ? { agent: spec.name } : { user: spec.name }),
    ...(extra.groups && extra.groups.length > 0 ? { groups: extra.groups } : {}),
    ...(extra.roles && extra.roles.length > 0 ? { roles: extra.roles } : {}),
    ttlSeconds: extra.ttlSeconds,
  });
}

export async function runTokenCommand(argv: string[], io: CliIo): Promise<number> {
  let spec: PrincipalSpec;
  let ttlSeconds: number;
  let values: { group?: string[]; role?: string[] };
  try {
    const parsed = parseArgs({
      args: argv,
      options: {
        as: { type: 'string' },
        agent: { type: 'string' },
        user: { type: 'string' },
        group: { type: 'string', multiple: true },
        role: { type: 'string', multiple: true },
        ttl: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
    if (parsed.values.help) {
      io.stdout.write(`${HELP}\n`);
      return 0;
    }
    values = parsed.values;
    spec = principalFromFlags(parsed.values);
    ttlSeconds = parseDuration(parsed.values.ttl ?? '1h');
  } catch (e) {
    io.stderr.write(`agentgate token: ${e instanceof Error ? e.message : String(e)}\n`);
    return 2;
  }
  const token = await mintDevToken(io, spec, {
    ...(values.group ? { groups: values.group } : {}),
    ...(values.role ? { roles: values.role } : {}),
    ttlSeconds,
  });
  io.stdout.write(`${token}\n`);
  return 0;
}
