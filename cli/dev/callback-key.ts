import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * The local host's callback signing key: AGENTGATE_CALLBACK_KEY when set, else a random key
 * kept in the state folder (mode 0600) so receivers can verify across restarts.
 */
export async function devCallbackKey(stateDir: string, fromEnv: string | undefined): Promise<string> {
  if (fromEnv) return fromEnv;
  const file = join(stateDir, 'callback-key');
  try {
    return (await readFile(file, 'utf8')).trim();
  } catch {
    const key = randomBytes(32).toString('hex');
    await mkdir(stateDir, { recursive: true });
    await writeFile(file, key, { mode: 0o600 });
    return key;
  }
}
