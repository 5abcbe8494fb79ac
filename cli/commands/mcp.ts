import { parseArgs } from 'node:util';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { z } from 'zod';
import { canonicalSha256 } from '../../shared/audit/canonical.js';
import { loadOrCreateDevIssuer } from '../../shared/identity/index.js';
import { DEV_AUDIENCE, DEV_ISSUER } from '../dev/host.js';
import type { CliIo } from '../io.js';
import { projectStateDir, resolveGatewayUrl } from '../project.js';

const HELP = `Usage: agentgate mcp config [--client vscode|claude] [--url URL]
       agentgate mcp tools [--url URL] [--token T] [--json]

config  prints the MCP client configuration for the running gateway (default
        http://localhost:\${PORT:-7071}): JSON on stdout, how to get a token on stderr.
        vscode (default) is .vscode/mcp.json; claude is Claude Code's .mcp.json.
tools   lists the tools as an MCP client sees them, with the published digest, checked
        against the list received. Without --token, mints a dev agent token ("cli-agent").
The gateway is --url, else AGENTGATE_URL, else the running local host (its lock file), else
PORT, else 7071.

Examples:
  agentgate mcp config --client claude > .mcp.json
  agentgate mcp tools --json

Exit codes: 0 done, 1 the gateway could not be reached or answered badly, 2 usage.`;

const metadataSchema = z.object({
  resource: z.string(),
  authorization_servers: z.array(z.string()),
  scopes_supported: z.array(z.string()).optional(),
  'io.agentgate/tools-digest': z.string().optional(),
});

type Metadata = z.output<typeof metadataSchema>;

async function readMetadata(base: string): Promise<Metadata> {
  const res = await fetch(`${base}/.well-known/oauth-protected-resource/mcp`, {
    signal: AbortSignal.timeout(10_000),
  });
  if (!res.ok) throw new Error(`the gateway at ${base} answered ${res.status} for its MCP metadata`);
  return metadataSchema.parse(await res.json());
}

/** The dev issuer is not an authorization server a client can sign in to: tokens come from the CLI. */
function usesDevIssuer(meta: Metadata): boolean {
  return meta.authorization_servers.every((s) => !s.startsWith('https://login.microsoftonline.com/'));
}

function configFor(client: 'vscode' | 'claude', meta: Metadata): Record<string, unknown> {
  const dev = usesDevIssuer(meta);
  if (client === 'vscode') {
    return dev
      ? {
          inputs: [
            {
              type: 'promptString',
              id: 'agentgate-token',
              description: 'agentgate token (agentgate token --agent NAME)',
              password: true,
            },
          ],
          servers: {
            agentgate: {
              type: 'http',
              url: meta.resource,
              // biome-ignore lint/suspicious/noTemplateCurlyInString: VS Code's own input variable syntax.
              headers: { Authorization: 'Bearer ${input:agentgate-token}' },
            },
          },
        }
      : // VS Code signs in itself: it reads the resource metadata the 401 names and asks Entra.
        { servers: { agentgate: { type: 'http', url: meta.resource } } };
  }
  return {
    mcpServers: {
      agentgate: {
        type: 'http',
        url: meta.resource,
        // biome-ignore lint/suspicious/noTemplateCurlyInString: Claude Code expands environment variables.
        headers: { Authorization: 'Bearer ${AGENTGATE_TOKEN}' },
      },
    },
  };
}

function tokenHint(client: 'vscode' | 'claude', meta: Metadata): string {
  const scope = meta.scopes_supported?.[0] ?? 'api://<app id>/.default';
  const how = usesDevIssuer(meta)
    ? 'agentgate token --agent my-agent'
    : `az account get-access-token --scope ${scope} --query accessToken -o tsv`;
  const where =
    client === 'vscode'
      ? usesDevIssuer(meta)
        ? 'Save as .vscode/mcp.json; VS Code asks for the token on start. Get one with:'
        : `Save as .vscode/mcp.json; VS Code signs in with Entra (scope ${scope}). For other clients:`
      : 'Save as .mcp.json and set AGENTGATE_TOKEN before starting Claude Code. Get a token with:';
  return `${where}\n  ${how}\n`;
}

async function devToken(io: CliIo): Promise<string> {
  const issuer = await loadOrCreateDevIssuer({
    dir: projectStateDir(io),
    issuer: io.env.AGENTGATE_DEV_ISSUER ?? DEV_ISSUER,
    audience: DEV_AUDIENCE,
  });
  return issuer.mint({ agent: 'cli-agent', ttlSeconds: 300 });
}

async function listTools(io: CliIo, base: string, token: string, json: boolean): Promise<number> {
  const client = new Client({ name: 'agentgate-cli', version: '1.0.0' });
  const transport = new StreamableHTTPClientTransport(new URL(`${base}/mcp`), {
    requestInit: { headers: { authorization: `Bearer ${token}` } },
  });
  try {
    await client.connect(transport);
    const listed = await client.listTools();
    const published = listed._meta?.['io.agentgate/tools-digest'];
    const received = `sha256:${canonicalSha256(listed.tools)}`;
    if (json) {
      io.stdout.write(`${JSON.stringify({ digest: published, tools: listed.tools }, null, 2)}\n`);
    } else {
      for (const t of listed.tools) {
        const hints = Object.entries(t.annotations ?? {})
          .filter(([k, v]) => k.endsWith('Hint') && v === true)
          .map(([k]) => k.replace(/Hint$/, ''));
        io.stdout.write(
          `${t.name.padEnd(22)} ${t.title ?? ''}${hints.length ? `  [${hints.join(', ')}]` : ''}\n`,
        );
      }
      io.stdout.write(`digest ${String(published)}\n`);
    }
    if (published !== received) {
      io.stderr.write(
        `agentgate mcp: the published digest does not match the tools received (${received})\n`,
      );
      return 1;
    }
    return 0;
  } finally {
    await client.close().catch(() => {});
  }
}

export async function runMcpCommand(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      client: { type: 'string' },
      url: { type: 'string' },
      token: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const [sub] = positionals;
  if (values.help || sub === undefined) {
    io.stdout.write(`${HELP}\n`);
    return values.help ? 0 : 2;
  }
  const base = (await resolveGatewayUrl(io, values.url)).url;
  try {
    if (sub === 'config') {
      const client = values.client ?? 'vscode';
      if (client !== 'vscode' && client !== 'claude') {
        io.stderr.write('agentgate mcp config: --client is vscode or claude\n');
        return 2;
      }
      const meta = await readMetadata(base);
      io.stdout.write(`${JSON.stringify(configFor(client, meta), null, 2)}\n`);
      io.stderr.write(tokenHint(client, meta));
      return 0;
    }
    if (sub === 'tools') {
      return await listTools(io, base, values.token ?? (await devToken(io)), values.json ?? false);
    }
  } catch (e) {
    io.stderr.write(
      `agentgate mcp: ${e instanceof Error ? e.message : String(e)} (is the gateway at ${base} running? 'npm start')\n`,
    );
    return 1;
  }
  io.stderr.write(`agentgate mcp: unknown subcommand '${sub}'\n\n${HELP}\n`);
  return 2;
}
