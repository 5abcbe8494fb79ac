import { loadModule, parseSync } from 'libpg-query';
import { analysePostgres } from '../shared/sql/postgres.js';
import { analyseTsql } from '../shared/sql/tsql.js';
import { DEMO_CATALOG } from '../tests/support/demo-catalog.js';
import { measure, printStats, type Stats } from './harness.js';

const SIMPLE = 'select id, email from customers where id = $1 limit 10';
const COMPLEX = `
  with recent as (
    select o.cid, sum(o.total) as spend from orders o where o.created_at > now() - interval '30 days' group by o.cid
  )
  select c.id, upper(c.email) as email, r.spend, rank() over (partition by c.region order by r.spend desc)
  from customers c
  join recent r on r.cid = c.id
  left join lateral (select count(*) as n from tickets t where t.cid = c.id) k on true
  where c.active and exists (select 1 from flags f where f.cid = c.id and f.kind = 'vip')
  order by r.spend desc
  fetch first 50 rows only`;
/** The same shapes over the demo schema, so the provenance pass resolves every name. */
const DEMO_SIMPLE = 'select id, city, email from customers where id = $1';
const DEMO_COMPLEX = `
  with spend as (
    select customer_id, sum(amount) as total from orders where created_at > now() - interval '30 days' group by customer_id
  )
  select c.id, upper(c.city) as city, c.email, s.total, rank() over (partition by c.city order by s.total desc),
    case when c.card_number like '4%' then 'visa' else 'other' end as brand
  from customers c
  join spend s on s.customer_id = c.id
  left join lateral (select count(*) as n from support_tickets t where t.customer_id = c.id) k on true
  where exists (select 1 from payments p join orders o on o.id = p.order_id where o.customer_id = c.id)
  order by s.total desc
  limit 50`;
const TSQL =
  'select top 10 c.email, upper(c.card_number) as card from dbo.customers c join orders o on o.cid = c.id where c.region = @p1';

/**
 * Statement analysis cost. The baseline is libpg-query's parse alone, so the ratio shows
 * what the tree walk, name resolution and fingerprint add on top of the parser.
 */
export async function benchAnalysis(): Promise<void> {
  await loadModule();
  for (const [label, sql] of [
    ['simple select', SIMPLE],
    ['join + CTE + lateral + window', COMPLEX],
  ] as const) {
    const parseOnly = await measure(`parseSync only (${label})`, () => parseSync(sql), { iterations: 2000 });
    const tree = JSON.stringify(parseSync(sql));
    const json = await measure(`JSON.parse of the tree (${tree.length} chars)`, () => JSON.parse(tree), {
      iterations: 2000,
    });
    const analyse = await measure(`analysePostgres (${label})`, () => analysePostgres(sql), {
      iterations: 2000,
    });
    printStats(`statement analysis: ${label} (ratio to parse alone)`, [parseOnly, json, analyse], parseOnly);
  }
  for (const [label, sql] of [
    ['demo point read', DEMO_SIMPLE],
    ['demo CTE + join + lateral + window + exists', DEMO_COMPLEX],
  ] as const) {
    const parseOnly = await measure(`parseSync only (${label})`, () => parseSync(sql), { iterations: 2000 });
    const plain = await measure(`analysePostgres, no catalog (${label})`, () => analysePostgres(sql), {
      iterations: 2000,
    });
    const traced = await measure(
      `analysePostgres + provenance (${label})`,
      () => analysePostgres(sql, { catalog: DEMO_CATALOG }),
      { iterations: 2000 },
    );
    printStats(`provenance pass: ${label} (ratio to parse alone)`, [parseOnly, plain, traced], parseOnly);
    console.log(`provenance pass alone: ${nsPerStatement(traced, plain)} ns per statement (p50 difference)`);
  }
  const tsql = await measure('analyseTsql (select top, join)', () => analyseTsql(TSQL), { iterations: 500 });
  const pgSame = await measure('analysePostgres (similar select)', () => analysePostgres(SIMPLE), {
    iterations: 500,
  });
  printStats('T-SQL analysis (ratio to the Postgres analyser)', [pgSame, tsql], pgSame);
}

function nsPerStatement(withPass: Stats, without: Stats): string {
  return Math.round((withPass.p50Ms - without.p50Ms) * 1e6).toLocaleString('en');
}
