import { fork } from 'node:child_process';
import { once } from 'node:events';
import { EMULATOR_KEY } from '../cli/dev/cosmos-emulator.js';

export interface CosmosProcess {
  endpoint: string;
  key: string;
  /** The emulator process's CPU so far, in ms. */
  cpuMs(): Promise<number>;
  stop(): Promise<void>;
}

/** Starts bench/cosmos-child.ts and waits for its endpoint. */
export async function startCosmosProcess(): Promise<CosmosProcess> {
  const child = fork(new URL('./cosmos-child.ts', import.meta.url), [], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
  });
  const [line] = (await once(child.stdout as NodeJS.ReadableStream, 'data')) as [Buffer];
  const endpoint = String(line).trim();
  return {
    endpoint,
    key: EMULATOR_KEY,
    cpuMs: async () => {
      child.send('cpu');
      const [message] = (await once(child, 'message')) as [{ cpuMicros: number }];
      return message.cpuMicros / 1000;
    },
    stop: async () => {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      await once(child, 'exit');
    },
  };
}

const ENDPOINT = 'AGENTGATE_BENCH_COSMOS_ENDPOINT';
const KEY = 'AGENTGATE_BENCH_COSMOS_KEY';

/** What a bench child is told to reach the emulator process with. */
export function cosmosEnv(cosmos: CosmosProcess): Record<string, string> {
  return { [ENDPOINT]: cosmos.endpoint, [KEY]: cosmos.key };
}

/** In a bench child: startDevHost's `cosmos` option when the bench started the emulator apart. */
export function cosmosFromEnv(
  env: Record<string, string | undefined> = process.env,
): { cosmos: { endpoint: string; key: string } } | Record<string, never> {
  const endpoint = env[ENDPOINT];
  return endpoint ? { cosmos: { endpoint, key: env[KEY] ?? '' } } : {};
}
