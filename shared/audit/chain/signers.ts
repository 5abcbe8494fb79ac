import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  randomUUID,
  sign,
} from 'node:crypto';
import { chmod, link, mkdir, readFile, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';

/** Public half of a checkpoint key, as served in the JWKS. */
export interface CheckpointPublicJwk {
  kty: 'EC';
  crv: 'P-256';
  x: string;
  y: string;
  kid: string;
  alg: 'ES256';
  use: 'sig';
}

export interface Jwks {
  keys: CheckpointPublicJwk[];
}

/** Signs checkpoint notes with ES256. `sign` answers the raw 64-byte r || s signature. */
export interface CheckpointSigner {
  /** Key name as written on the note's signature line (no spaces). */
  readonly keyName: string;
  sign(data: Uint8Array): Promise<Uint8Array>;
  publicJwk(): Promise<CheckpointPublicJwk>;
}

const base64url = z.string().regex(/^[A-Za-z0-9_-]+$/);

export const publicJwkSchema = z.object({
  kty: z.literal('EC'),
  crv: z.literal('P-256'),
  x: base64url,
  y: base64url,
  kid: z.string().min(1).max(200),
  alg: z.literal('ES256'),
  use: z.literal('sig'),
});

export const jwksSchema = z.object({ keys: z.array(publicJwkSchema.passthrough()) });

/** The JWKS to serve: every signer's public key (old keys stay listed while rotating). */
export async function jwks(signers: readonly CheckpointSigner[]): Promise<Jwks> {
  return { keys: await Promise.all(signers.map((s) => s.publicJwk())) };
}

export function publicKeyOf(jwk: CheckpointPublicJwk): KeyObject {
  return createPublicKey({ key: { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y }, format: 'jwk' });
}

/**
 * The 4-byte signed-note key ID: SHA-256(key name || 0x0A || 0xFF || SPKI DER)[0:4]. The
 * C2SP spec leaves key types other than its own to the application; 0xFF marks ours
 * (ECDSA P-256 with SHA-256) and the SPKI binds the exact public key.
 */
export function noteKeyId(keyName: string, jwk: CheckpointPublicJwk): Buffer {
  const spki = publicKeyOf(jwk).export({ type: 'spki', format: 'der' });
  return createHash('sha256')
    .update(Buffer.from(keyName, 'utf8'))
    .update(Buffer.from([0x0a, 0xff]))
    .update(spki)
    .digest()
    .subarray(0, 4);
}

const KEY_NAME = /^[A-Za-z0-9._/+-]{1,100}$/;

function checkKeyName(name: string): string {
  if (!KEY_NAME.test(name)) throw new TypeError('checkpoint key name must be 1-100 of [A-Za-z0-9._/+-]');
  return name;
}

export const LOCAL_CHECKPOINT_KEY_FILE = 'audit-checkpoint-key.json';

const privateJwkSchema = z.object({
  kty: z.literal('EC'),
  crv: z.literal('P-256'),
  x: base64url,
  y: base64url,
  d: base64url,
  kid: z.string().min(1),
});

/**
 * ES256 signer for the local host, its key kept in the state directory (owner-only), so
 * checkpoints sealed before a restart still verify after it. A separate key from the dev
 * token issuer's: one key, one job.
 */
export class LocalEs256Signer implements CheckpointSigner {
  readonly keyName: string;
  readonly #key: KeyObject;
  readonly #public: CheckpointPublicJwk;

  private constructor(keyName: string, key: KeyObject, kid: string) {
    this.keyName = checkKeyName(keyName);
    this.#key = key;
    const jwk = createPublicKey(key).export({ format: 'jwk' });
    this.#public = publicJwkSchema.parse({
      kty: jwk.kty,
      crv: jwk.crv,
      x: jwk.x,
      y: jwk.y,
      kid,
      alg: 'ES256',
      use: 'sig',
    });
  }

  /** A throwaway key held in memory only (tests, benchmarks). */
  static generate(keyName = 'agentgate-audit-local'): LocalEs256Signer {
    return new LocalEs256Signer(
      keyName,
      createPrivateKey({ key: generateJwk(), format: 'jwk' }),
      randomUUID(),
    );
  }

  /** Loads the key file in `dir`, creating it (0600) on first use. */
  static async fromStateDir(dir: string, keyName = 'agentgate-audit-local'): Promise<LocalEs256Signer> {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const path = join(dir, LOCAL_CHECKPOINT_KEY_FILE);
    let jwk = await readKeyFile(path);
    if (jwk === undefined) {
      await createKeyFile(path);
      jwk = await readKeyFile(path);
    }
    if (jwk === undefined) throw new Error(`Could not create the checkpoint key at ${path}.`);
    const { kid, ...key } = jwk;
    return new LocalEs256Signer(keyName, createPrivateKey({ key, format: 'jwk' }), kid);
  }

  async sign(data: Uint8Array): Promise<Uint8Array> {
    return sign('sha256', data, { key: this.#key, dsaEncoding: 'ieee-p1363' });
  }

  async publicJwk(): Promise<CheckpointPublicJwk> {
    return { ...this.#public };
  }
}

function generateJwk(): { kty: string; crv: string; x: string; y: string; d: string } {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return privateKey.export({ format: 'jwk' }) as {
    kty: string;
    crv: string;
    x: string;
    y: string;
    d: string;
  };
}

async function readKeyFile(path: string): Promise<z.output<typeof privateJwkSchema> | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  if (process.platform !== 'win32' && ((await stat(path)).mode & 0o077) !== 0) await chmod(path, 0o600);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    value = undefined;
  }
  const parsed = privateJwkSchema.safeParse(value);
  if (!parsed.success)
    throw new Error(`${path} is not an ES256 private key; move it away to create a new one.`);
  return parsed.data;
}

/** Private temp file hard-linked into place: atomic, never overwrites (two starts share one key). */
async function createKeyFile(path: string): Promise<void> {
  const jwk = { ...generateJwk(), kid: randomUUID() };
  const temp = `${path}.${randomUUID()}.tmp`;
  await writeFile(temp, `${JSON.stringify(jwk, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
  try {
    await link(temp, path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  } finally {
    await unlink(temp);
  }
}
