import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { main } from '../cli/main.js';
import { TOP_HELP } from '../cli/top-level.mjs';

/**
 * Writes cli/help.json: the `--help` text of every command and subcommand, as the command
 * modules print it, so bin/agentgate.mjs can answer `agentgate query --help` without loading
 * the TypeScript sources (tsx costs most of a second and more on a busy machine). A test
 * compares the file with what the modules print, so the two cannot drift.
 */

export const HELP_FILE = fileURLToPath(new URL('../cli/help.json', import.meta.url));

/** Subcommands with their own help; a new one missing here is only slower, never wrong. */
const SUBCOMMANDS: Record<string, readonly string[]> = {
  audit: ['list', 'show', 'verify'],
  policy: ['validate', 'check', 'test', 'diff'],
  demo: ['load'],
  approvals: ['list', 'show', 'approve', 'deny'],
  requests: ['status', 'result', 'cancel'],
  mcp: ['config', 'tools'],
};

/** The commands TOP_HELP lists (a test elsewhere checks it lists every command). */
export function commandNames(): string[] {
  const section = TOP_HELP.split('Commands:\n')[1]?.split('\n\n')[0] ?? '';
  return [...section.matchAll(/^ {2}([a-z]+) /gm)].map((m) => m[1]);
}

/** What `agentgate ...argv` prints on stdout, and its exit code, run in-process. */
async function printed(argv: string[], cwd: string): Promise<{ code: number; out: string; err: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const stdin = new PassThrough();
  stdin.end('');
  let out = '';
  let err = '';
  stdout.on('data', (c) => {
    out += String(c);
  });
  stderr.on('data', (c) => {
    err += String(c);
  });
  const code = await main(argv, { stdin, stdout, stderr, env: {}, cwd });
  return { code, out, err };
}

/** `"query"` and `"audit list"` to the text their `--help` prints (exit 0, nothing on stderr). */
export async function collectHelp(): Promise<Record<string, string>> {
  const cwd = mkdtempSync(join(tmpdir(), 'agentgate-help-'));
  const help: Record<string, string> = {};
  for (const name of commandNames()) {
    for (const path of [[name], ...(SUBCOMMANDS[name] ?? []).map((sub) => [name, sub])]) {
      const r = await printed([...path, '--help'], cwd);
      if (r.code === 0 && r.err === '' && r.out !== '') help[path.join(' ')] = r.out;
    }
  }
  return help;
}

export function helpFileText(help: Record<string, string>): string {
  return `${JSON.stringify(help, null, 2)}\n`;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  writeFileSync(HELP_FILE, helpFileText(await collectHelp()));
}
