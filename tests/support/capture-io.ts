import { PassThrough } from 'node:stream';
import type { CliIo } from '../../cli/io.js';

/** Runs a CLI command in-process against in-memory streams and returns what it printed. */
export async function runWithIo(
  command: (argv: string[], io: CliIo) => Promise<number>,
  argv: string[],
  options: { cwd: string; stdin?: string; env?: Record<string, string | undefined> },
): Promise<{ code: number; out: string; err: string }> {
  const stdin = new PassThrough();
  stdin.end(options.stdin ?? '');
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (c) => {
    out += String(c);
  });
  stderr.on('data', (c) => {
    err += String(c);
  });
  const code = await command(argv, { stdin, stdout, stderr, env: options.env ?? {}, cwd: options.cwd });
  return { code, out, err };
}
