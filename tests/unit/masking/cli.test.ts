import assert from 'node:assert/strict';
import { PassThrough, Readable } from 'node:stream';
import { test } from 'node:test';
import { runMaskCommand } from '../../../cli/commands/mask.js';

async function run(argv: string[], input: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const chunks = { out: '', err: '' };
  stdout.on('data', (d: Buffer) => {
    chunks.out += d.toString();
  });
  stderr.on('data', (d: Buffer) => {
    chunks.err += d.toString();
  });
  const code = await runMaskCommand(argv, { stdin: Readable.from([input]), stdout, stderr });
  return { code, stdout: chunks.out, stderr: chunks.err };
}

const KEY = 'cli-test-key-0123456789';

test('ndjson: records round-trip, classified columns masked whole, others scanned', async () => {
  const input = [
    JSON.stringify({ id: 1, name: 'Ana Silva', note: 'card 4111 1111 1111 1111', meta: { ip: '10.0.0.1' } }),
    '',
    JSON.stringify({ id: 2, name: 'Ben', note: 'nothing' }),
  ].join('\n');
  const { code, stdout, stderr } = await run(['--classify', 'name=pii.name', '--key', KEY], input);
  assert.equal(code, 0, stderr);
  const lines = stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  assert.equal(lines.length, 2);
  assert.match(lines[0].name, /^tok_[0-9a-f]{16}$/);
  assert.deepEqual(
    { ...lines[0], name: 'T' },
    { id: 1, name: 'T', note: 'card ************1111', meta: { ip: '[REDACTED]' } },
  );
  assert.deepEqual({ ...lines[1], name: 'T' }, { id: 2, name: 'T', note: 'nothing' });
  assert.match(stderr, /2 records, 4 cells masked \(pii.name: 2, pci.pan: 1, pii.ip: 1\)/);
});

test('csv: quoted fields with commas, quotes and newlines survive; masked values are re-quoted', async () => {
  const input =
    'name,email,note\r\n"Silva, Ana",ana@contoso.com,"said ""hi""\nthen 415-555-0132"\nBen,,plain\n';
  // A class nobody declared is refused (a typo would mask nothing); a known class masks.
  assert.equal((await run(['--format', 'csv', '--classify', 'name=acme.person'], input)).code, 2);
  const { code, stdout } = await run(['--format', 'csv', '--classify', 'name=pii.name'], input);
  assert.equal(code, 0);
  assert.equal(
    stdout,
    'name,email,note\n[REDACTED],a***@contoso.com,"said ""hi""\nthen ********32"\n[REDACTED],,plain\n',
  );
});

test('a bad ndjson line stops with its line number and writes nothing for it', async () => {
  const { code, stdout, stderr } = await run([], '{"a":"ana@contoso.com"}\n{"b": nope}\n{"c":1}\n');
  assert.equal(code, 1);
  assert.equal(stdout, '{"a":"a***@contoso.com"}\n');
  assert.match(stderr, /line 2: not valid JSON/);
  const notObject = await run([], '[1,2]\n');
  assert.equal(notObject.code, 1);
  assert.match(notObject.stderr, /line 1: expected a JSON object/);
});

test('bad csv records are reported with the line they start on', async () => {
  const short = await run(['--format', 'csv'], 'a,b\n1,2\n3\n');
  assert.equal(short.code, 1);
  assert.equal(short.stdout, 'a,b\n1,2\n');
  assert.match(short.stderr, /line 3: expected 2 fields, found 1/);
  const open = await run(['--format', 'csv'], 'a,b\n1,"never closed\n2,3\n');
  assert.equal(open.code, 1);
  assert.match(open.stderr, /line 2: unterminated quoted field/);
  const stray = await run(['--format', 'csv'], 'a,b\n1,x"y"\n');
  assert.match(stray.stderr, /line 2: quote inside an unquoted field/);
});

test('usage errors exit 2; --help prints usage and exits 0', async () => {
  assert.equal((await run(['--format', 'xml'], '')).code, 2);
  assert.equal((await run(['--classify', 'nocolumn'], '')).code, 2);
  assert.equal((await run(['--classify', 'c=Bad Class'], '')).code, 2);
  assert.equal((await run(['--key', 'short'], '')).code, 2);
  assert.equal((await run(['--bogus'], '')).code, 2);
  const help = await run(['--help'], '');
  assert.equal(help.code, 0);
  assert.match(help.stdout, /Usage: agentgate mask/);
});
