import type { Engine, StatementFacts } from '../types.js';
import { type AnalyseOptions, analysePostgres } from './postgres.js';
import { analyseTsql } from './tsql.js';

/** The one entry point the gateway calls: facts about a statement for the connection's engine. */
export function analyseStatement(
  engine: Engine,
  sql: string,
  options: AnalyseOptions = {},
): Promise<StatementFacts> {
  switch (engine) {
    case 'postgres':
      return analysePostgres(sql, options);
    case 'tsql':
      return analyseTsql(sql, options);
    default: {
      const unknown: never = engine;
      throw new TypeError(`Unknown engine: ${String(unknown)}`);
    }
  }
}
