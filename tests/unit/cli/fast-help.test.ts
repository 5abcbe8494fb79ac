import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { cliVersion } from '../../../cli/main.js';
import { commandHelp, topLevelAnswer } from '../../../cli/top-level.mjs';
import { collectHelp, commandNames, HELP_FILE, helpFileText } from '../../../scripts/cli-help.mjs';

const BIN = fileURLToPath(new URL('../../../bin/agentgate.mjs', import.meta.url));

describe('help answered before the TypeScript loader (cli/help.json)', () => {
  let printed: Record<string, string>;
  before(async () => {
    printed = await collectHelp();
  });

  test('help.json is what the command modules print (npm run cli:help regenerates it)', () => {
    assert.equal(readFileSync(HELP_FILE, 'utf8'), helpFileText(printed), 'run npm run cli:help');
  });

  test('every command and its subcommands answer -h and --help from the fast path, as main does', () => {
    for (const name of commandNames()) assert.ok(name in printed, `${name} has no help entry`);
    assert.ok(Object.keys(printed).length > commandNames().length, 'subcommands are covered too');
    for (const [key, text] of Object.entries(printed)) {
      for (const flag of ['--help', '-h']) {
        assert.equal(topLevelAnswer([...key.split(' '), flag]), text, `${key} ${flag}`);
      }
    }
    assert.deepEqual(commandHelp(), printed);
  });

  test('version after any command, and nothing else is answered early', () => {
    assert.equal(topLevelAnswer(['query', '--version']), `agentgate ${cliVersion()}\n`);
    assert.equal(topLevelAnswer(['policy', 'check', '--version']), `agentgate ${cliVersion()}\n`);
    for (const argv of [
      ['query', '-c', 'demo', 'select 1'],
      ['query', '-c', 'demo', '--help'],
      ['query', '-c', '--help'],
      ['nosuch', '--help'],
      ['nosuch', '--version'],
      ['constructor', '--help'],
      ['audit', 'toString', '--help'],
      ['query', 'select 1 --help'],
    ]) {
      assert.equal(topLevelAnswer(argv), undefined, argv.join(' '));
    }
  });

  test('bin/agentgate.mjs prints the same text for `query --help` and exits 0', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [BIN, 'query', '--help'], {
      env: { PATH: process.env.PATH ?? '' },
    });
    assert.equal(stdout, printed.query);
  });
});
