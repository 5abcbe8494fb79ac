import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isGatewayError } from '../../../shared/errors.js';
import { analyseStatement } from '../../../shared/sql/analyse.js';
import { catalogOf } from '../../../shared/sql/catalog.js';
import { type ShapeLimit, STATEMENT_SHAPE_LIMITS } from '../../../shared/sql/shape.js';
import type { Engine } from '../../../shared/types.js';

const catalog = catalogOf([
  {
    name: 'public.customers',
    columns: [
      { name: 'id', type: 'int4', dataClass: undefined },
      { name: 'city', type: 'text', dataClass: undefined },
      { name: 'ssn', type: 'text', dataClass: 'ssn' },
    ],
  },
] as never);

const analyse = (engine: Engine, sql: string) =>
  analyseStatement(engine, sql, engine === 'postgres' ? { catalog } : {});

async function refusedFor(engine: Engine, sql: string, limit: ShapeLimit): Promise<void> {
  await assert.rejects(analyse(engine, sql), (e: unknown) => {
    assert.ok(isGatewayError(e), String(e));
    assert.equal(e.code, 'statement_refused');
    assert.deepEqual(e.details, { limit, max: STATEMENT_SHAPE_LIMITS[limit] });
    assert.match(e.message, new RegExp(`at most ${STATEMENT_SHAPE_LIMITS[limit]}`));
    return true;
  });
}

const repeat = (n: number, part: (i: number) => string, sep: string) =>
  Array.from({ length: n }, (_, i) => part(i)).join(sep);
const selfJoin = (n: number, table: string) =>
  `select t0.id from ${repeat(n, (i) => `${table} t${i}`, ', ')} where t0.id = 1`;
const cteChain = (n: number, table: string) =>
  `with ${repeat(n, (i) => `q${i} as (select id from ${i === 0 ? table : `q${i - 1}`})`, ', ')} select id from q${n - 1}`;
const unions = (n: number) => repeat(n, () => 'select 1', ' union all ');
const inSubqueries = (n: number, table: string) =>
  `select id from ${table} where ${repeat(n, (i) => `id in (select id from ${table} where id = ${i})`, ' or ')}`;

describe('statement shape limits (red-team round 18: analysis and planning that grow faster than the text)', () => {
  const { relations, ctes, setOperations, subqueries } = STATEMENT_SHAPE_LIMITS;

  it('refuses the round-18 chain of 5,200 UNION ALL terms by its count, not by running out of stack', async () => {
    const sql = unions(5_200);
    assert.ok(sql.length > 90_000 && sql.length < 100 * 1024);
    await refusedFor('postgres', sql, 'setOperations');
    await refusedFor(
      'postgres',
      repeat(4_500, () => 'select 1', ' union '),
      'setOperations',
    );
    await refusedFor(
      'postgres',
      repeat(4_800, () => 'select 1', ' intersect '),
      'setOperations',
    );
  });

  it('refuses one more than each limit and passes each limit itself (PostgreSQL)', async () => {
    await refusedFor('postgres', unions(setOperations + 2), 'setOperations');
    await analyse('postgres', unions(setOperations + 1));
    await refusedFor('postgres', selfJoin(relations + 1, 'customers'), 'relations');
    await analyse('postgres', selfJoin(relations, 'customers'));
    await refusedFor('postgres', cteChain(ctes + 1, 'customers'), 'ctes');
    await analyse('postgres', cteChain(ctes, 'customers'));
    await refusedFor('postgres', inSubqueries(subqueries + 1, 'customers'), 'subqueries');
    await analyse('postgres', inSubqueries(subqueries - 1, 'customers'));
  });

  it('counts relations across subqueries and set operations, not per SELECT', async () => {
    const half = Math.ceil((relations + 1) / 2);
    await refusedFor(
      'postgres',
      `${selfJoin(half, 'customers')} union all ${selfJoin(half, 'customers')}`,
      'relations',
    );
    await refusedFor(
      'postgres',
      `select id from customers where id in (${selfJoin(half, 'customers')}) and id in (${selfJoin(half, 'customers')})`,
      'relations',
    );
  });

  it('refuses depth before the recursive walk (a chained operator 1,000 terms long)', async () => {
    await refusedFor('postgres', `select ${repeat(1_000, () => 'id', '+')} from customers`, 'depth');
    await refusedFor(
      'postgres',
      `select ${'coalesce('.repeat(200)}city${', city)'.repeat(200)} from customers`,
      'depth',
    );
  });

  it('refuses a tree that is both deep and broad, where depth alone passes', async () => {
    const deepBranch = `select ${repeat(200, () => 'id', '+')} from customers`;
    await refusedFor(
      'postgres',
      repeat(60, () => deepBranch, ' union all '),
      'pathLength',
    );
  });

  it('ordinary reads pass: a 5,000-value IN list, a 200-term expression, a 12-branch union, nested subqueries', async () => {
    const ok = [
      `select id from customers where id in (${repeat(5_000, (i) => String(i), ',')})`,
      `select ${repeat(200, () => 'id', '+')} as total from customers where id = 1`,
      repeat(12, (i) => `select id, city from customers where id = ${i}`, ' union all '),
      `select id from customers where id in ${'(select id from customers where id in '.repeat(20)}(1)${')'.repeat(20)}`,
      'select count(*) from customers',
      `select a.id from customers a join customers b on a.id = b.id join customers c on c.id = b.id where a.id < 10`,
    ];
    for (const sql of ok) {
      const facts = await analyse('postgres', sql);
      assert.equal(facts.effect, 'read', sql.slice(0, 60));
    }
  });

  it('bounds T-SQL trees the same way', async () => {
    await refusedFor('tsql', unions(setOperations + 2), 'setOperations');
    await analyse('tsql', unions(12));
    await refusedFor('tsql', selfJoin(relations + 1, 'dbo.customers'), 'relations');
    await analyse('tsql', selfJoin(8, 'dbo.customers'));
    await refusedFor('tsql', cteChain(ctes + 1, 'dbo.customers'), 'ctes');
    await refusedFor('tsql', inSubqueries(subqueries + 1, 'dbo.customers'), 'subqueries');
  });
});
