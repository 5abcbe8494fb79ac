import { generateKeyPairSync, randomBytes } from 'node:crypto';
import type { KeyVaultCryptography, KeyVaultPublicKey } from '../../../shared/audit/chain/keyvault-signer.js';

/**
 * FAKE Key Vault (Key Vault cannot run here): holds a P-256 key and, like the real service,
 * signs a 32-byte DIGEST it is given, answering raw r || s. Node's crypto always hashes what
 * it signs, so the ECDSA step over the digest is done here with BigInt arithmetic; fine for a
 * test double, never for production.
 */
const P = 0xffffffff00000001000000000000000000000000ffffffffffffffffffffffffn;
const N = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;
const G: Point = [
  0x6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296n,
  0x4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5n,
];
type Point = [bigint, bigint] | null;

const mod = (a: bigint, m: bigint) => ((a % m) + m) % m;
function inv(a: bigint, m: bigint): bigint {
  let [r0, r1, s0, s1] = [mod(a, m), m, 1n, 0n];
  while (r1 !== 0n) {
    const q = r0 / r1;
    [r0, r1] = [r1, r0 - q * r1];
    [s0, s1] = [s1, s0 - q * s1];
  }
  return mod(s0, m);
}
function add(a: Point, b: Point): Point {
  if (a === null) return b;
  if (b === null) return a;
  if (a[0] === b[0] && mod(a[1] + b[1], P) === 0n) return null;
  const l =
    a[0] === b[0] && a[1] === b[1]
      ? mod((3n * a[0] * a[0] - 3n) * inv(2n * a[1], P), P)
      : mod((b[1] - a[1]) * inv(b[0] - a[0], P), P);
  const x = mod(l * l - a[0] - b[0], P);
  return [x, mod(l * (a[0] - x) - a[1], P)];
}
function mul(k: bigint, point: Point): Point {
  let result: Point = null;
  let addend = point;
  for (let e = k; e > 0n; e >>= 1n) {
    if (e & 1n) result = add(result, addend);
    addend = add(addend, addend);
  }
  return result;
}
const big = (b: Uint8Array) => BigInt(`0x${Buffer.from(b).toString('hex') || '0'}`);
const bytes32 = (v: bigint) => Buffer.from(v.toString(16).padStart(64, '0'), 'hex');

export class FakeKeyVaultCryptography implements KeyVaultCryptography {
  readonly #d: bigint;
  readonly #x: Buffer;
  readonly #y: Buffer;
  readonly digests: Uint8Array[] = [];
  failuresLeft = 0;

  constructor() {
    const jwk = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' });
    this.#d = big(Buffer.from(jwk.d as string, 'base64url'));
    this.#x = Buffer.from(jwk.x as string, 'base64url');
    this.#y = Buffer.from(jwk.y as string, 'base64url');
  }

  async sign(algorithm: 'ES256', digest: Uint8Array): Promise<{ result: Uint8Array }> {
    if (this.failuresLeft > 0) {
      this.failuresLeft--;
      throw new Error('fake Key Vault: service unavailable');
    }
    if (algorithm !== 'ES256' || digest.length !== 32) throw new Error('fake Key Vault: bad request');
    this.digests.push(digest);
    const e = big(digest);
    for (;;) {
      const k = mod(big(randomBytes(32)), N);
      if (k === 0n) continue;
      const r = mod((mul(k, G) as [bigint, bigint])[0], N);
      const s = mod(inv(k, N) * (e + r * this.#d), N);
      if (r !== 0n && s !== 0n) return { result: Buffer.concat([bytes32(r), bytes32(s)]) };
    }
  }

  async getKey(): Promise<KeyVaultPublicKey> {
    return {
      id: 'https://fake-vault.vault.azure.net/keys/audit-checkpoints/0123456789abcdef',
      key: { kty: 'EC', crv: 'P-256', x: this.#x, y: this.#y },
    };
  }
}
