import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type DoctorRow, runDoctorCommand } from '../../../cli/commands/doctor.js';
import { type DemoDatabase, startDemoDatabase } from '../../../cli/dev/demo-database.js';
import { runWithIo } from '../../support/capture-io.js';

let dir: string;
let demo: DemoDatabase;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'agentgate-doctor-'));
  demo = await startDemoDatabase({ customers: 50, spare: false });
});
after(async () => {
  await demo.stop();
  await rm(dir, { recursive: true, force: true });
});

/** The shared demo stands in for the one doctor would start; doctor's stop is a no-op here. */
const deps = {
  startDemo: async () => ({ host: demo.host, port: demo.port, stop: async () => {} }),
  timeoutMs: 20_000,
};

async function doctor(argv: string[], env: Record<string, string | undefined> = {}) {
  const r = await runWithIo((a, io) => runDoctorCommand(a, io, deps), [...argv, '--json'], { cwd: dir, env });
  return { ...r, rows: JSON.parse(r.out) as DoctorRow[] };
}

function status(rows: DoctorRow[], connection: string, check: string): string | undefined {
  return rows.find((r) => r.connection === connection && r.check === check)?.status;
}

describe('agentgate doctor', () => {
  test('the embedded demo config passes every check', async () => {
    const r = await doctor([]);
    assert.equal(r.code, 0, r.out);
    for (const c of ['demo', 'sandbox']) {
      for (const check of ['credential', 'reachable', 'explain', 'columns']) {
        assert.equal(status(r.rows, c, check), 'ok', `${c} ${check}`);
      }
    }
  });

  test('a missing password variable and a missing column fail, each with a fix', async () => {
    const path = join(dir, 'broken.json');
    await writeFile(
      path,
      JSON.stringify({
        connections: [
          {
            id: 'shop',
            engine: 'postgres',
            environment: 'prod',
            target: 'embedded-demo',
            exposure: { 'public.customers': { columns: ['id', 'city'] }, 'public.nosuch': {} },
            classification: { 'public.customers.emial': 'pii.email', 'public.customers.email': 'pii.email' },
          },
          {
            id: 'warehouse',
            engine: 'postgres',
            environment: 'prod',
            target: {
              host: '127.0.0.1',
              port: demo.port,
              database: 'postgres',
              user: 'reader',
              auth: 'password-from-env',
              passwordEnv: 'WAREHOUSE_PASSWORD',
              ssl: false,
            },
          },
        ],
      }),
    );
    const r = await doctor(['--config', path]);
    assert.equal(r.code, 1);
    const columns = r.rows.find((x) => x.connection === 'shop' && x.check === 'columns');
    assert.equal(columns?.status, 'FAIL');
    assert.match(columns?.detail ?? '', /table public\.nosuch/);
    assert.match(columns?.detail ?? '', /column public\.customers\.emial/);
    assert.doesNotMatch(columns?.detail ?? '', /customers\.email\b/);
    assert.ok(columns?.fix);
    const credential = r.rows.find((x) => x.connection === 'warehouse' && x.check === 'credential');
    assert.equal(credential?.status, 'FAIL');
    assert.match(credential?.detail ?? '', /WAREHOUSE_PASSWORD/);
    assert.match(credential?.fix ?? '', /set WAREHOUSE_PASSWORD/);
    assert.equal(status(r.rows, 'warehouse', 'reachable'), 'skip');

    // With the variable set, the same connection reaches the demo server (PGlite takes any password).
    const set = await doctor(['--config', path, '--connection', 'warehouse'], { WAREHOUSE_PASSWORD: 'x' });
    assert.equal(status(set.rows, 'warehouse', 'credential'), 'ok');
    assert.equal(status(set.rows, 'warehouse', 'reachable'), 'ok', JSON.stringify(set.rows));
  });

  test('a typo in a data class fails the config check with the valid classes', async () => {
    const path = join(dir, 'typo.json');
    await writeFile(
      path,
      JSON.stringify({
        connections: [
          {
            id: 'shop',
            engine: 'postgres',
            environment: 'prod',
            target: 'embedded-demo',
            classification: { 'public.customers.email': 'pii.emial' },
          },
        ],
      }),
    );
    const r = await doctor(['--config', path]);
    assert.equal(r.code, 1);
    assert.equal(r.rows[0].check, 'config');
    assert.match(r.rows[0].detail, /unknown data class "pii\.emial".*pii\.email/);
  });
});
