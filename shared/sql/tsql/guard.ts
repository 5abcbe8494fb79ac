import { GatewayError } from '../../errors.js';
import type { Token } from './tokens.js';

/**
 * Words that make a T-SQL statement something no parser result should be trusted about:
 * dynamic SQL, procedures, remote or file access, delays, server administration. Checked
 * on words and on quoted identifiers (`[exec]`, `"xp_cmdshell"`); string literals are
 * data and cannot run without one of these words being present anyway.
 */
const FORBIDDEN = new Set([
  'exec',
  'execute',
  'sp_executesql',
  'openrowset',
  'openquery',
  'opendatasource',
  'openxml',
  'bulk',
  'waitfor',
  'shutdown',
  'dbcc',
  'reconfigure',
  'kill',
  'revert',
  'setuser',
  'use',
  'declare',
  'backup',
  'restore',
  'grant',
  'revoke',
  'deny',
  'fn_xe_file_target_read_file',
  'fn_get_audit_file',
  'fn_trace_gettable',
]);

const FORBIDDEN_PREFIXES = ['xp_', 'sp_'];

export function refuseDangerousTsql(tokens: Token[]): void {
  let lineStart = true;
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i];
    if (token.kind === 'newline') {
      lineStart = true;
      continue;
    }
    if (token.kind === 'word' || token.kind === 'quoted') {
      const word = token.value.split('.').pop() ?? token.value;
      if (FORBIDDEN.has(word) || FORBIDDEN_PREFIXES.some((p) => word.startsWith(p))) refuse(word);
      // GO is a client-side batch separator: a line that starts with it splits the text.
      if (token.kind === 'word' && word === 'go' && lineStart) refuse('go');
    }
    lineStart = false;
  }
}

function refuse(word: string): never {
  throw new GatewayError('statement_refused', 'The statement uses a construct the gateway does not allow.', {
    details: { construct: word.toUpperCase() },
  });
}
