/**
 * Line numbers for evidence. Compiled templates carry no source map, so a resource is found in
 * its source by declaration order and type, and a property by its key below the declaration.
 */

export interface Declaration {
  /** Lower-cased resource type, or `module` for a Bicep module. */
  type: string;
  /** 1-based line of the declaration. */
  line: number;
  /** For a module: the path it loads. */
  path?: string;
}

/** `resource x 'T@v' = ...` (not `existing`) and `module x 'path' = ...` in source order. */
export function bicepDeclarations(text: string): Declaration[] {
  const out: Declaration[] = [];
  const lines = text.split('\n');
  lines.forEach((l, i) => {
    const r = /^\s*resource\s+\w+\s+'([^'@]+)@[^']*'\s+(existing\s*=|=)/.exec(l);
    if (r) {
      if (!r[2].startsWith('existing')) out.push({ type: r[1].toLowerCase(), line: i + 1 });
      return;
    }
    const m = /^\s*module\s+\w+\s+'([^']+)'\s+=/.exec(l);
    if (m) out.push({ type: 'module', line: i + 1, path: m[1] });
  });
  return out;
}

/** `"type": "T"` lines of a JSON template, in order (nested templates included). */
export function jsonDeclarations(text: string): Declaration[] {
  const out: Declaration[] = [];
  text.split('\n').forEach((l, i) => {
    const m = /^\s*"type"\s*:\s*"([A-Za-z]+\.[A-Za-z]+\/[^"]+)"/.exec(l);
    if (m)
      out.push({
        type: m[1].toLowerCase() === 'microsoft.resources/deployments' ? 'module' : m[1].toLowerCase(),
        line: i + 1,
      });
  });
  return out;
}

/** Hands out declarations by type in order, so the n-th resource of a type gets the n-th declaration. */
export class DeclarationCursor {
  private next = 0;
  constructor(private readonly decls: Declaration[]) {}

  take(type: string): Declaration | undefined {
    const t = type.toLowerCase();
    for (let i = this.next; i < this.decls.length; i++) {
      if (this.decls[i].type === t) {
        this.next = i + 1;
        return this.decls[i];
      }
    }
    return undefined;
  }
}

/** Line of `key` (its last dotted segment) at or after `from`, before the next declaration. */
export function propertyLine(
  text: string,
  from: number,
  until: number | undefined,
  key: string,
  json: boolean,
): number | undefined {
  const last = key.split('.').pop() ?? key;
  const lines = text.split('\n');
  const end = until === undefined ? lines.length : until - 1;
  const re = json ? new RegExp(`^\\s*"${last}"\\s*:`, 'i') : new RegExp(`^\\s*'?${last}'?\\s*:`, 'i');
  for (let i = from - 1; i < end && i < lines.length; i++) if (re.test(lines[i])) return i + 1;
  return undefined;
}
