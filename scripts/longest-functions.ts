import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import ts from 'typescript';

/**
 * Lists the longest functions under a folder (default `shared/`), so the core stays a set
 * of small functions a reader can follow. `--max N` exits 1 when any is longer than N lines.
 * Every function-like node with a body counts, nested ones too: a factory that returns an
 * object of methods is as long as all of them together.
 */
export interface FunctionLength {
  /** `file:line name`, the line being where the function starts. */
  where: string;
  lines: number;
}

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return files(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

/** The length of every function in one source text, in source order. */
export function lengthsIn(file: string, text: string): FunctionLength[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const found: FunctionLength[] = [];
  const visit = (node: ts.Node) => {
    if (ts.isFunctionLike(node) && 'body' in node && node.body) {
      const start = source.getLineAndCharacterOfPosition(node.getStart()).line;
      const end = source.getLineAndCharacterOfPosition(node.getEnd()).line;
      const name = node.name && ts.isIdentifier(node.name) ? node.name.text : '(anonymous)';
      found.push({ where: `${file}:${start + 1} ${name}`, lines: end - start + 1 });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

/** Every function in the `.ts` files under `root`, longest first. */
export function functionLengths(root: string): FunctionLength[] {
  const found = files(root).flatMap((file) => lengthsIn(file, readFileSync(file, 'utf8')));
  return found.sort((a, b) => b.lines - a.lines);
}

function main(args: string[]): number {
  const maxAt = args.indexOf('--max');
  const max = maxAt >= 0 ? Number(args[maxAt + 1]) : undefined;
  const root = args.find((a, i) => !a.startsWith('--') && (maxAt < 0 || i !== maxAt + 1)) ?? 'shared';
  const found = functionLengths(root);
  for (const f of found.slice(0, 15)) console.log(`${String(f.lines).padStart(5)}  ${f.where}`);
  return max !== undefined && found.some((f) => f.lines > max) ? 1 : 0;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = main(process.argv.slice(2));
}
