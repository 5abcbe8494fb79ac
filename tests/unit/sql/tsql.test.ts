import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isGatewayError } from '../../../shared/errors.js';
import { analyseTsql } from '../../../shared/sql/tsql.js';

const facts = (sql: string) => analyseTsql(sql);

async function rejectsWith(sql: string, code: string): Promise<void> {
  await assert.rejects(facts(sql), (e: unknown) => isGatewayError(e) && e.code === code, sql);
}

describe('tsql refusals', () => {
  const refused = [
    'exec sp_who',
    "EXECUTE ('select 1')",
    "exec sp_executesql N'select 1'",
    "select 1; EXEC master..xp_cmdshell 'dir'",
    'select * from t where x = 1; exec xp_cmdshell @c',
    "select * from openrowset('SQLNCLI', 'server=x', 'select 1')",
    "select * from openquery(remote, 'select 1')",
    "select * from opendatasource('SQLNCLI', 'x').db.dbo.t",
    "bulk insert t from 'c:\\x.csv'",
    "waitfor delay '00:00:05'",
    "select 1 waitfor delay '0:0:5'",
    'shutdown',
    'dbcc checkdb',
    'reconfigure',
    'select 1\ngo\nselect 2',
    'select [xp_cmdshell] from t',
    'select * from sys.sp_helpdb',
    'select * from other.dbo.customers',
  ];
  for (const sql of refused) {
    it(`refuses ${sql.replaceAll('\n', ' ')}`, async () => {
      await rejectsWith(sql, 'statement_refused');
    });
  }

  it('keeps forbidden words inside string literals as data', async () => {
    const f = await facts("select 'please exec later' as note from t");
    assert.equal(f.effect, 'read');
  });

  it('unparseable input is unparseable_statement', async () => {
    await rejectsWith('select from where (', 'unparseable_statement');
    await rejectsWith('', 'unparseable_statement');
  });
});

describe('tsql effect', () => {
  const cases: [string, string][] = [
    ['select 1; delete from customers', 'write'],
    ['insert into t (a) values (1)', 'write'],
    ['update t set a = 1 where id = 2', 'write'],
    ['delete from t where id = 1', 'write'],
    ['drop table t', 'ddl'],
    ['create table t (a int)', 'ddl'],
    ['select a into t2 from t', 'ddl'],
    ['select a from t with (updlock)', 'write'],
    ['select a from t', 'read'],
  ];
  for (const [sql, effect] of cases) {
    it(`${sql} -> ${effect}`, async () => {
      assert.equal((await facts(sql)).effect, effect);
    });
  }

  it('reports stacked statements', async () => {
    const f = await facts('select 1; delete from customers');
    assert.equal(f.statementCount, 2);
    assert.deepEqual(f.statementKinds, ['select', 'delete']);
  });

  it('SELECT INTO sets into', async () => {
    assert.equal((await facts('select a into t2 from t')).into, true);
  });
});

describe('tsql facts', () => {
  it('counts the rows of each table one result row may carry (round 23)', async () => {
    const cases: Array<[string, Record<string, number>]> = [
      [
        'select a.id, b.id from dbo.customers a join dbo.customers b on b.id = a.id + 1',
        { 'dbo.customers': 2 },
      ],
      ['select id from dbo.customers union all select id from dbo.customers', { 'dbo.customers': 1 }],
      [
        'with x as (select id from dbo.customers) select a.id from x a join x b on a.id = b.id',
        { 'dbo.customers': 2 },
      ],
    ];
    for (const [sql, reads] of cases) assert.deepEqual((await facts(sql)).tableReads, reads, sql);
  });

  it('describes a plain select', async () => {
    const f = await facts(
      'select top 10 c.email, upper(c.card_number) as card from dbo.customers c ' +
        'join sales.orders o on o.cid = c.id where c.region = @p1 order by c.name',
    );
    assert.deepEqual(f.tables, ['dbo.customers', 'sales.orders']);
    assert.deepEqual(f.columns['dbo.customers'], ['card_number', 'email', 'id', 'name', 'region']);
    assert.equal(f.limit, 10);
    assert.equal(f.paramCount, 1);
    assert.equal(f.hasWhere, true);
    assert.equal(f.whereTriviallyTrue, false);
    assert.deepEqual(f.functions, ['upper']);
    assert.deepEqual(f.predicateColumns, [
      'dbo.customers.id',
      'dbo.customers.name',
      'dbo.customers.region',
      'sales.orders.cid',
    ]);
    assert.deepEqual(f.outputs, [
      { name: 'email', sources: ['dbo.customers.email'], direct: true },
      { name: 'card', sources: ['dbo.customers.card_number'], direct: false },
    ]);
  });

  it('TOP n PERCENT and OFFSET/FETCH', async () => {
    assert.equal((await facts('select top (5) percent a from t')).limit, null);
    assert.equal((await facts('select a from t order by a offset 0 rows fetch next 7 rows only')).limit, 7);
  });

  it('star, CTE names excluded, trivially true WHERE', async () => {
    const f = await facts('with x as (select a from t) select * from x, u where 1=1 or a = 2');
    assert.deepEqual(f.tables, ['dbo.t', 'dbo.u']);
    assert.equal(f.selectStar, true);
    assert.deepEqual(f.starTables, ['dbo.u']);
    assert.equal(f.whereTriviallyTrue, true);
  });

  it('uses the default schema option', async () => {
    assert.deepEqual((await analyseTsql('select a from t', { defaultSchema: 'App' })).tables, ['app.t']);
  });

  it('fingerprint ignores formatting and constants, not names', async () => {
    const a = await facts('select a from t where b = 1');
    const b = await facts('SELECT  a\n FROM [t] /* c */ WHERE b = 99 -- x');
    const c = await facts('select a from u where b = 1');
    assert.equal(a.fingerprint, b.fingerprint);
    assert.notEqual(a.fingerprint, c.fingerprint);
  });
});
