import transactSql from 'node-sql-parser/build/transactsql.js';
import { GatewayError } from '../errors.js';
import type { StatementFacts } from '../types.js';
import { FactsCollector } from './collector.js';
import { checkStatementSize } from './limits.js';
import { checkStatementShape } from './shape.js';
import { fingerprintTsql } from './tsql/fingerprint.js';
import { refuseDangerousTsql } from './tsql/guard.js';
import { TSQL_SHAPE } from './tsql/shape.js';
import { tokenize } from './tsql/tokens.js';
import { TsqlWalker } from './tsql/walker.js';

export interface AnalyseTsqlOptions {
  /** Schema of unqualified table names; `dbo` on SQL Server. */
  defaultSchema?: string;
}

// The T-SQL-only build: the all-dialect entry is about 4 MB of the bundle, and this path parses one dialect.
const parser = new transactSql.Parser();

/**
 * Facts about a T-SQL statement. node-sql-parser is not SQL Server's grammar, so a token
 * guard refuses the dangerous constructs first, and whatever the walker cannot classify
 * is refused rather than guessed.
 */
export async function analyseTsql(sql: string, options: AnalyseTsqlOptions = {}): Promise<StatementFacts> {
  checkStatementSize(sql);
  const tokens = tokenize(sql);
  refuseDangerousTsql(tokens);
  const statements = parseTsql(sql);
  checkStatementShape(statements, TSQL_SHAPE);
  if (statements.length === 0) throw new GatewayError('unparseable_statement', 'The statement is empty.');

  const facts = new FactsCollector('tsql');
  const walker = new TsqlWalker(facts, (options.defaultSchema ?? 'dbo').toLowerCase());
  statements.forEach((ast, index) => {
    const type = typeof ast === 'object' && ast !== null && 'type' in ast ? String(ast.type) : 'unknown';
    facts.statementKinds.push(type);
    const outputs = walker.statement(ast);
    if (index === 0) recordTop(ast, outputs, facts);
  });
  return facts.build(statements.length, fingerprintTsql(tokens));
}

function parseTsql(sql: string): unknown[] {
  let ast: unknown;
  try {
    ast = parser.astify(sql, { database: 'transactsql' });
  } catch (e) {
    const position = positionOf(e);
    throw new GatewayError(
      'unparseable_statement',
      `The statement could not be parsed${position === undefined ? '' : ` at line ${position.line}, column ${position.column}`}.`,
      { cause: e, details: position },
    );
  }
  const statements = Array.isArray(ast) ? ast : [ast];
  // The grammar accepts some garbage as a typeless node; that is not a statement we understand.
  if (statements.some((s) => typeof field(s, 'type') !== 'string')) {
    throw new GatewayError('unparseable_statement', 'The statement could not be parsed.');
  }
  return statements;
}

function positionOf(e: unknown): { line: number; column: number } | undefined {
  const location = typeof e === 'object' && e !== null && 'location' in e ? e.location : undefined;
  const start =
    typeof location === 'object' && location !== null && 'start' in location ? location.start : undefined;
  if (typeof start !== 'object' || start === null) return undefined;
  const line = 'line' in start && typeof start.line === 'number' ? start.line : undefined;
  const column = 'column' in start && typeof start.column === 'number' ? start.column : undefined;
  return line === undefined || column === undefined ? undefined : { line, column };
}

function recordTop(ast: unknown, outputs: StatementFacts['outputs'], facts: FactsCollector): void {
  if (typeof ast !== 'object' || ast === null) return;
  const record = ast as Record<string, unknown>;
  if ('where' in record) {
    facts.hasWhere = record.where !== null && record.where !== undefined;
    facts.whereTriviallyTrue = facts.hasWhere && isTriviallyTrue(record.where);
  }
  if (record.type !== 'select') return;
  facts.outputs = outputs;
  facts.limit = topLimit(record.top) ?? fetchLimit(record.limit);
}

function field(value: unknown, key: string): unknown {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined;
}

/** TOP n (not TOP n PERCENT, not a variable). */
function topLimit(top: unknown): number | null {
  const value = field(top, 'value');
  if (field(top, 'percent') || typeof value !== 'number') return null;
  return value;
}

/** OFFSET ... FETCH NEXT n ROWS ONLY. */
function fetchLimit(limit: unknown): number | null {
  const value = field(field(field(limit, 'fetch'), 'value'), 'value');
  return typeof value === 'number' ? value : null;
}

/** Same shapes as on Postgres: constant comparisons, OR with a true side, NOT false. */
function isTriviallyTrue(expr: unknown): boolean {
  return truth(expr) === true;
}

function truth(expr: unknown): boolean | undefined {
  const type = field(expr, 'type');
  if (type === 'bool') return field(expr, 'value') === true;
  if (type === 'unary_expr' && String(field(expr, 'operator')).toUpperCase() === 'NOT') {
    const inner = truth(field(expr, 'expr'));
    return inner === undefined ? undefined : !inner;
  }
  if (type !== 'binary_expr') return undefined;
  const op = String(field(expr, 'operator')).toUpperCase();
  const left = field(expr, 'left');
  const right = field(expr, 'right');
  if (op === 'OR') return truth(left) === true || truth(right) === true ? true : undefined;
  if (op === 'AND') return truth(left) === true && truth(right) === true ? true : undefined;
  const a = literal(left);
  const b = literal(right);
  if (a !== undefined && b !== undefined) {
    if (op === '=') return a === b;
    if (op === '<>' || op === '!=') return a !== b;
    if (op === '<') return a < b;
    if (op === '>') return a > b;
    if (op === '<=') return a <= b;
    if (op === '>=') return a >= b;
  }
  if (field(left, 'type') === 'column_ref' && JSON.stringify(left) === JSON.stringify(right)) {
    return ['=', '<=', '>='].includes(op) ? true : undefined;
  }
  return undefined;
}

function literal(expr: unknown): number | string | undefined {
  const type = field(expr, 'type');
  const value = field(expr, 'value');
  if (type === 'number' && typeof value === 'number') return value;
  if ((type === 'single_quote_string' || type === 'string') && typeof value === 'string') return value;
  return undefined;
}
