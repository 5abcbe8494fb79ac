import { createHash } from 'node:crypto';
import { DefaultAzureCredential, type TokenCredential } from '@azure/identity';
import { CryptographyClient, KeyClient, parseKeyVaultKeyIdentifier } from '@azure/keyvault-keys';
import { type CheckpointPublicJwk, type CheckpointSigner, type Jwks, publicJwkSchema } from './signers.js';

/**
 * The part of Key Vault's CryptographyClient this signer uses. The real client fits it;
 * tests pass a fake (Key Vault cannot run here).
 */
export interface KeyVaultCryptography {
  sign(algorithm: 'ES256', digest: Uint8Array): Promise<{ result: Uint8Array }>;
}

/** The key's public half as Key Vault answers it (`KeyClient#getKey`). */
export interface KeyVaultPublicKey {
  id?: string;
  key?: { kty?: string; crv?: string; x?: Uint8Array; y?: Uint8Array };
}

export interface KeyVaultSignerOptions {
  /** Key name on the note's signature line. Default `agentgate-audit`. */
  keyName?: string;
  client: KeyVaultCryptography;
  getKey: () => Promise<KeyVaultPublicKey>;
}

/**
 * Signs checkpoints with a Key Vault EC P-256 key: the private key never leaves the vault
 * and the function's managed identity needs only sign and get on that one key (built-in
 * role "Key Vault Crypto User" scoped to the key). Key Vault signs a digest, so the SHA-256
 * is computed here; ES256 signatures come back as raw r || s, which is what notes carry.
 */
export class KeyVaultSigner implements CheckpointSigner {
  readonly keyName: string;
  readonly #client: KeyVaultCryptography;
  readonly #getKey: () => Promise<KeyVaultPublicKey>;
  #public: Promise<CheckpointPublicJwk> | undefined;

  constructor(options: KeyVaultSignerOptions) {
    this.keyName = options.keyName ?? 'agentgate-audit';
    this.#client = options.client;
    this.#getKey = options.getKey;
  }

  /** `keyId` is the key's URL (with or without version); signs with the function's identity. */
  static fromKeyId(
    keyId: string,
    options: { keyName?: string; credential?: TokenCredential } = {},
  ): KeyVaultSigner {
    const credential = options.credential ?? new DefaultAzureCredential();
    const { vaultUrl, name, version } = parseKeyVaultKeyIdentifier(keyId);
    const keys = new KeyClient(vaultUrl, credential);
    return new KeyVaultSigner({
      client: new CryptographyClient(keyId, credential),
      getKey: () => keys.getKey(name, version ? { version } : {}),
      ...(options.keyName ? { keyName: options.keyName } : {}),
    });
  }

  async sign(data: Uint8Array): Promise<Uint8Array> {
    const digest = createHash('sha256').update(data).digest();
    const { result } = await this.#client.sign('ES256', digest);
    if (!(result instanceof Uint8Array) || result.length !== 64) {
      throw new Error('Key Vault answered an ES256 signature that is not 64 bytes.');
    }
    return result;
  }

  publicJwk(): Promise<CheckpointPublicJwk> {
    // A failed lookup is not cached, so the next call asks again.
    this.#public ??= this.#fetchPublic().catch((e: unknown) => {
      this.#public = undefined;
      throw e;
    });
    return this.#public;
  }

  async #fetchPublic(): Promise<CheckpointPublicJwk> {
    return publicJwkFromKeyVault(await this.#getKey(), this.keyName);
  }
}

/** A Key Vault key's public half as a JWKS entry; anything but EC P-256 is refused. */
export function publicJwkFromKeyVault(key: KeyVaultPublicKey, fallbackKid: string): CheckpointPublicJwk {
  const jwk = key.key;
  if (jwk?.kty !== 'EC' || jwk.crv !== 'P-256' || !jwk.x || !jwk.y) {
    throw new Error('The Key Vault checkpoint key must be an EC P-256 key.');
  }
  return publicJwkSchema.parse({
    kty: 'EC',
    crv: 'P-256',
    x: Buffer.from(jwk.x).toString('base64url'),
    y: Buffer.from(jwk.y).toString('base64url'),
    // The versioned key URL names exactly this key, across rotations.
    kid: key.id ?? fallbackKid,
    alg: 'ES256',
    use: 'sig',
  });
}

/** The part of KeyClient that lists a key's versions (the real client fits it). */
export interface KeyVaultKeyVersions {
  listPropertiesOfKeyVersions(name: string): AsyncIterable<{ version?: string; enabled?: boolean }>;
  getKey(name: string, options?: { version?: string }): Promise<KeyVaultPublicKey>;
}

/**
 * The JWKS to serve after rotations: every enabled version of the key, so checkpoints signed
 * with an older version still verify. Disabling a version is how a leaked one is withdrawn.
 */
export async function keyVaultJwks(client: KeyVaultKeyVersions, name: string): Promise<Jwks> {
  const keys: CheckpointPublicJwk[] = [];
  for await (const version of client.listPropertiesOfKeyVersions(name)) {
    if (version.enabled === false || !version.version) continue;
    keys.push(publicJwkFromKeyVault(await client.getKey(name, { version: version.version }), name));
  }
  return { keys };
}
