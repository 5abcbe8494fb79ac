import { GatewayError } from '../errors.js';
import type { StatementFacts } from '../types.js';
import type { Catalog } from './catalog.js';
import { FactsCollector } from './collector.js';
import { checkStatementSize } from './limits.js';
import type { FunctionPolicy } from './pg/allowlist.js';
import { fingerprintPostgres } from './pg/fingerprint.js';
import { asNode, bodyOf, items } from './pg/node.js';
import { parsePostgres } from './pg/parse.js';
import { analyseProvenance } from './pg/provenance.js';
import { PG_SHAPE } from './pg/shape.js';
import { recordLimit, recordWhere } from './pg/top.js';
import { PgWalker } from './pg/walker.js';
import { withProvenance } from './provenance-facts.js';
import { checkStatementShape } from './shape.js';

export interface AnalyseOptions {
  /** Schema of unqualified table names; `public` on Postgres. */
  defaultSchema?: string;
  /** What the connection exposes; with it, a SELECT gets the provenance pass. */
  catalog?: Catalog;
  functions?: FunctionPolicy;
}

/** Facts about a Postgres statement, from the real PostgreSQL grammar (libpg-query). */
export async function analysePostgres(sql: string, options: AnalyseOptions = {}): Promise<StatementFacts> {
  checkStatementSize(sql);
  const parsed = await parsePostgres(sql);
  checkStatementShape(parsed, PG_SHAPE);
  const tree = bodyOf({ ParseResult: parsed }, 'ParseResult');
  const raws = items(tree, 'stmts').map(stmtOnly);
  const statements = raws.map((stmt) => asNode(stmt));
  if (statements.length === 0) {
    throw new GatewayError('unparseable_statement', 'The statement is empty.');
  }

  const facts = new FactsCollector('postgres');
  const walker = new PgWalker(facts, (options.defaultSchema ?? 'public').toLowerCase());
  statements.forEach((statement, index) => {
    if (!statement) {
      // A statement shape the walker cannot even name is something it cannot vouch for.
      facts.statementKinds.push('Unknown');
      facts.raise('admin');
      return;
    }
    facts.statementKinds.push(statement.kind);
    const outputs = walker.statement(raws[index]);
    if (index > 0) return;
    recordWhere(statement.kind, statement.body, facts);
    if (statement.kind === 'SelectStmt') {
      facts.outputs = outputs;
      recordLimit(statement.body, facts);
    }
  });
  const built = facts.build(statements.length, fingerprintPostgres(raws));
  // Only a single SELECT is traced; anything else an agent sends is refused by policy.
  if (options.catalog === undefined || statements.length !== 1 || statements[0]?.kind !== 'SelectStmt') {
    return built;
  }
  const provenance = analyseProvenance(raws[0], {
    catalog: options.catalog,
    defaultSchema: options.defaultSchema ?? 'public',
    ...(options.functions ? { functions: options.functions } : {}),
  });
  return withProvenance(built, provenance);
}

/** Statement positions and lengths differ with whitespace; only the statements are hashed. */
function stmtOnly(raw: unknown): unknown {
  return bodyOf({ RawStmt: raw }, 'RawStmt')?.stmt;
}
