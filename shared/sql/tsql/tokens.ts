/**
 * A small T-SQL tokenizer: enough to tell words from string literals, quoted identifiers
 * and comments. The guard and the fingerprint rely on it, not on node-sql-parser, so a
 * gap in the parser's grammar cannot hide a keyword from them.
 */
export type TokenKind = 'word' | 'quoted' | 'string' | 'number' | 'symbol' | 'newline';

export interface Token {
  kind: TokenKind;
  /** Words and quoted identifiers lower-cased (T-SQL names compare case-insensitively). */
  value: string;
}

export function tokenize(sql: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < sql.length) {
    const c = sql[i];
    if (c === '\n') {
      tokens.push({ kind: 'newline', value: '\n' });
      i++;
    } else if (/\s/.test(c)) {
      i++;
    } else if (c === '-' && sql[i + 1] === '-') {
      while (i < sql.length && sql[i] !== '\n') i++;
    } else if (c === '/' && sql[i + 1] === '*') {
      i = skipBlockComment(sql, i);
    } else if (c === "'" || ((c === 'N' || c === 'n') && sql[i + 1] === "'")) {
      const start = c === "'" ? i : i + 1;
      const end = closing(sql, start, "'");
      tokens.push({ kind: 'string', value: sql.slice(start + 1, end).replaceAll("''", "'") });
      i = end + 1;
    } else if (c === '[' || c === '"') {
      const end = closing(sql, i, c === '[' ? ']' : '"');
      tokens.push({ kind: 'quoted', value: sql.slice(i + 1, end).toLowerCase() });
      i = end + 1;
    } else if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(sql[i + 1] ?? ''))) {
      const match = /^(0x[0-9a-f]*|[0-9]*\.?[0-9]+(e[+-]?[0-9]+)?)/i.exec(sql.slice(i));
      const length = match?.[0].length || 1;
      tokens.push({ kind: 'number', value: sql.slice(i, i + length) });
      i += length;
    } else if (/[\p{L}_@#$]/u.test(c)) {
      const match = /^[\p{L}\p{N}_@#$]+/u.exec(sql.slice(i));
      const length = match?.[0].length || 1;
      tokens.push({ kind: 'word', value: sql.slice(i, i + length).toLowerCase() });
      i += length;
    } else {
      tokens.push({ kind: 'symbol', value: c });
      i++;
    }
  }
  return tokens;
}

/** T-SQL block comments nest; an unclosed one runs to the end of the text. */
function skipBlockComment(sql: string, start: number): number {
  let depth = 0;
  let i = start;
  while (i < sql.length) {
    if (sql[i] === '/' && sql[i + 1] === '*') {
      depth++;
      i += 2;
    } else if (sql[i] === '*' && sql[i + 1] === '/') {
      depth--;
      i += 2;
      if (depth === 0) return i;
    } else {
      i++;
    }
  }
  return i;
}

/** Index of the closing quote, where a doubled quote is an escaped one; end of text if unclosed. */
function closing(sql: string, open: number, quote: string): number {
  let i = open + 1;
  while (i < sql.length) {
    if (sql[i] === quote) {
      if (sql[i + 1] === quote) i += 2;
      else return i;
    } else {
      i++;
    }
  }
  return sql.length;
}
