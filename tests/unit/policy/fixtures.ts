import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { queryContext } from '../../../shared/policy/index.js';
import type {
  ConnectionResource,
  DecisionRequest,
  Principal,
  StatementFacts,
} from '../../../shared/types.js';

export const SHIPPED_POLICY_DIR = fileURLToPath(new URL('../../../policies/', import.meta.url));

export async function shippedSchemaText(): Promise<string> {
  return readFile(join(SHIPPED_POLICY_DIR, 'schema.cedarschema'), 'utf8');
}

export function agent(overrides: Partial<Principal> = {}): Principal {
  return {
    kind: 'agent',
    id: 'agent-1',
    tenantId: 'tenant-1',
    appId: 'app-1',
    name: 'report bot',
    groups: [],
    roles: [],
    scopes: [],
    onBehalfOf: undefined,
    issuer: 'https://issuer.test/',
    tokenId: undefined,
    ...overrides,
  };
}

export function human(overrides: Partial<Principal> = {}): Principal {
  return agent({ kind: 'human', id: 'human-1', appId: undefined, name: 'Ada', ...overrides });
}

export function facts(overrides: Partial<StatementFacts> = {}): StatementFacts {
  return {
    engine: 'postgres',
    statementCount: 1,
    effect: 'read',
    statementKinds: ['SelectStmt'],
    tables: ['public.customers'],
    columns: { 'public.customers': ['id', 'name'] },
    functions: [],
    dangerousFunctions: [],
    selectStar: false,
    starTables: [],
    hasWhere: true,
    whereTriviallyTrue: false,
    limit: 10,
    into: false,
    predicateColumns: ['public.customers.id'],
    outputs: [],
    fingerprint: 'f'.repeat(64),
    ...overrides,
  };
}

export function connection(environment = 'prod'): ConnectionResource {
  return { type: 'Connection', id: `crm-${environment}`, engine: 'postgres', environment, tags: ['crm'] };
}

export interface QueryOptions {
  facts?: Partial<StatementFacts>;
  estimatedRows?: number | null;
  predicateOnMasked?: boolean;
  environment?: string;
}

export function queryRequest(principal: Principal, options: QueryOptions = {}): DecisionRequest {
  const masked = options.predicateOnMasked ?? false;
  return {
    principal,
    action: 'query',
    resource: connection(options.environment),
    context: queryContext(facts(options.facts), {
      estimatedRows: options.estimatedRows === undefined ? 10 : options.estimatedRows,
      requestedMaxRows: 100,
      now: new Date('2025-01-15T09:30:00Z'),
      predicateOnMasked: masked,
      maskedColumnsInPredicates: masked ? ['public.customers.email'] : [],
      onBehalfOf: false,
    }),
  };
}
