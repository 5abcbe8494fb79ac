import { GatewayError } from '../errors.js';
import type { Engine, StatementFacts } from '../types.js';
import { type AnalyseOptions, analysePostgres } from './postgres.js';

// The T-SQL grammar (node-sql-parser's build, most of this module's code) is loaded on the
// first T-SQL statement: a gateway with only PostgreSQL connections never evaluates it, and
// one that has them does not pay for it before its first request is answered.
let tsql: Promise<typeof import('./tsql.js')> | undefined;
const loadTsql = () => {
  tsql ??= import('./tsql.js').catch((e: unknown) => {
    tsql = undefined;
    throw e;
  });
  return tsql;
};

/** The one entry point the gateway calls: facts about a statement for the connection's engine. */
export async function analyseStatement(
  engine: Engine,
  sql: string,
  options: AnalyseOptions = {},
): Promise<StatementFacts> {
  try {
    return await analyseFor(engine, sql, options);
  } catch (e) {
    // The parse tree is walked recursively: `select 1+1+...+1` with a few thousand terms is
    // well inside the size cap and deeper than the stack (red-team round 11: a 500).
    if (e instanceof RangeError && /call stack/i.test(e.message)) {
      throw new GatewayError(
        'statement_refused',
        'The statement is nested too deeply for the gateway to analyse; write it with fewer nested terms.',
        { cause: e },
      );
    }
    throw e;
  }
}

async function analyseFor(engine: Engine, sql: string, options: AnalyseOptions): Promise<StatementFacts> {
  switch (engine) {
    case 'postgres':
      return analysePostgres(sql, options);
    case 'tsql':
      return (await loadTsql()).analyseTsql(sql, options);
    default: {
      const unknown: never = engine;
      throw new TypeError(`Unknown engine: ${String(unknown)}`);
    }
  }
}
