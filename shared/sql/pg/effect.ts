import type { Effect } from '../../types.js';
import { type Body, items } from './node.js';

/**
 * Effect of one statement node, judged on its own (nested statements are judged where the
 * walk finds them). An allowlist: kinds not named here are `admin`, so a statement the
 * gateway has never seen fails closed.
 */
const BY_KIND: Readonly<Record<string, Effect>> = {
  // SelectStmt is decided by statementEffect from its clauses.
  VariableShowStmt: 'read',
  // EXPLAIN's own effect is read; what it explains is walked as a nested statement, so
  // EXPLAIN of a write is a write even without ANALYZE (it is cheap to be strict here).
  ExplainStmt: 'read',

  InsertStmt: 'write',
  UpdateStmt: 'write',
  DeleteStmt: 'write',
  MergeStmt: 'write',

  CreateStmt: 'ddl',
  CreateTableAsStmt: 'ddl',
  AlterTableStmt: 'ddl',
  DropStmt: 'ddl',
  TruncateStmt: 'ddl',
  IndexStmt: 'ddl',
  ViewStmt: 'ddl',
  RefreshMatViewStmt: 'ddl',
  CreateSeqStmt: 'ddl',
  AlterSeqStmt: 'ddl',
  CreateSchemaStmt: 'ddl',
  RenameStmt: 'ddl',
  CommentStmt: 'ddl',
  CreateTrigStmt: 'ddl',
  RuleStmt: 'ddl',
  CompositeTypeStmt: 'ddl',
  CreateEnumStmt: 'ddl',
  AlterEnumStmt: 'ddl',
  CreateDomainStmt: 'ddl',
  AlterDomainStmt: 'ddl',
  DefineStmt: 'ddl',
  CreatePolicyStmt: 'ddl',
  AlterPolicyStmt: 'ddl',
  AlterObjectSchemaStmt: 'ddl',
  CreateStatsStmt: 'ddl',

  // Anything that runs code the analyser cannot see into.
  DoStmt: 'exec',
  CallStmt: 'exec',
  PrepareStmt: 'exec',
  ExecuteStmt: 'exec',
  DeallocateStmt: 'exec',
  CreateFunctionStmt: 'exec',
  AlterFunctionStmt: 'exec',
  CreateEventTrigStmt: 'exec',
};

export function statementEffect(kind: string, body: Body): Effect {
  if (kind === 'SelectStmt') {
    if (body.intoClause !== undefined) return 'ddl';
    if (items(body, 'lockingClause').length > 0) return 'write';
    return 'read';
  }
  return BY_KIND[kind] ?? 'admin';
}

/** Every node kind that is a statement of its own, wherever it appears in the tree. */
export function isStatementKind(kind: string): boolean {
  return kind.endsWith('Stmt');
}
