import { randomUUID } from 'node:crypto';
import { chmod, link, mkdir, readFile, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { exportJWK, generateKeyPair } from 'jose';
import { z } from 'zod';

export const DEV_KEY_FILE = 'dev-issuer-key.json';

const base64url = z.string().regex(/^[A-Za-z0-9_-]+$/);

const devPrivateJwkSchema = z.object({
  kty: z.literal('EC'),
  crv: z.literal('P-256'),
  x: base64url,
  y: base64url,
  d: base64url,
  kid: z.string().min(1),
});

/** The dev issuer's ES256 private key as kept on disk. */
export type DevPrivateJwk = z.output<typeof devPrivateJwkSchema>;

/**
 * The dev issuer keeps one key across restarts so tokens minted earlier stay valid. The
 * file is readable by its owner only: anyone who can read it can mint tokens the local
 * gateway accepts.
 */
export async function loadOrCreateDevKey(dir: string): Promise<DevPrivateJwk> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const path = join(dir, DEV_KEY_FILE);
  const existing = await readKeyFile(path);
  if (existing !== undefined) return existing;
  await createKeyFile(path);
  const created = await readKeyFile(path);
  if (created === undefined) throw new Error(`Could not create the dev issuer key at ${path}.`);
  return created;
}

async function readKeyFile(path: string): Promise<DevPrivateJwk | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if (hasCode(e, 'ENOENT')) return undefined;
    throw e;
  }
  await restrictToOwner(path);
  const parsed = devPrivateJwkSchema.safeParse(parseJson(text));
  if (!parsed.success) {
    throw new Error(`${path} is not a dev issuer ES256 private key; delete it to create a new one.`);
  }
  return parsed.data;
}

/**
 * Written to a private temporary file, then hard-linked into place: the link is atomic and
 * never overwrites, so two processes starting together end up sharing one complete key.
 */
async function createKeyFile(path: string): Promise<void> {
  const { privateKey } = await generateKeyPair('ES256', { extractable: true });
  const jwk = { ...(await exportJWK(privateKey)), kid: randomUUID() };
  const temp = `${path}.${randomUUID()}.tmp`;
  await writeFile(temp, `${JSON.stringify(jwk, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
  try {
    await link(temp, path);
  } catch (e) {
    if (!hasCode(e, 'EEXIST')) throw e;
  } finally {
    await unlink(temp);
  }
}

/** A key file someone made group- or world-readable is brought back to 0600 (POSIX only). */
async function restrictToOwner(path: string): Promise<void> {
  if (process.platform === 'win32') return;
  const { mode } = await stat(path);
  if ((mode & 0o077) !== 0) await chmod(path, 0o600);
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function hasCode(e: unknown, code: string): boolean {
  return typeof e === 'object' && e !== null && (e as { code?: unknown }).code === code;
}
