import { createHash } from 'node:crypto';
import { isSecretKeyName } from '../../masking/detect/pairs.js';
import { detect } from '../../masking/index.js';
import { finding } from '../mask.js';
import type { Finding } from '../types.js';

/**
 * Static secrets in a text file (source, CI definitions, .env, templates). The masking
 * detectors find the secret; the text around it says what kind it is, which decides the rule.
 */

/** Kind of a secret from the text just before it and the secret itself. */
function kindOf(before: string, secret: string, line: string): string {
  const b = before.toLowerCase();
  const l = line.toLowerCase();
  if (secret.startsWith('-----BEGIN ')) return 'secret.private-key';
  if (/sharedaccesskey\s*[=:]\s*["']?$/.test(b)) return 'secret.servicebus-sas';
  if (/(^|[^a-z])sig\s*=\s*$/.test(b) || (l.includes('sv=') && l.includes('sig='))) return 'secret.sas-token';
  if (/accountkey\s*[=:]\s*["']?$/.test(b) || /^[A-Za-z0-9+/]{86}==$/.test(secret)) {
    return l.includes('.documents.azure.') || l.includes('accountendpoint=') || l.includes('cosmos')
      ? 'secret.cosmos-key'
      : 'secret.storage-key';
  }
  if (/(password|pwd)\s*[=:]\s*["']?$/.test(b)) {
    // A password inside a connection string (Server=...;Password=...), or a database URL.
    if (/(server|host|data source|user id|uid|database)\s*=/.test(l)) return 'secret.db-password';
  }
  if (/(postgres(ql)?|mysql|mssql|sqlserver|mongodb(\+srv)?|redis):\/\/[^\s:@/]*:$/.test(b)) {
    return 'secret.db-password';
  }
  return 'secret.token';
}

function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return starts;
}

function lineAt(starts: number[], offset: number): number {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid] <= offset) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/**
 * A value that names where a secret lives instead of holding it: a variable, a template
 * expression, a Key Vault reference, a property path in code. Such values are not findings.
 */
function isReference(value: string): boolean {
  const v = value.trim().replace(/^["'`]|["'`,;]$/g, '');
  if (v.length < 6) return true;
  // Placeholders in documentation and examples, and values quoted inside prose or Markdown.
  if (/^(password|passwd|pass|pwd|secret|changeme|example|placeholder|x+|\*+)$/i.test(v)) return true;
  if (v.includes('`')) return true;
  if (/^(\$|%|\{\{|<|\[|@Microsoft\.KeyVault\(|secrets\.|vars\.|env\.)/i.test(v)) return true;
  // `config.db.password`, `process.env.PG_PASSWORD`: code reading a setting.
  if (/^[A-Za-z_][\w]*(\.[A-Za-z_][\w]*)+(\(\))?$/.test(v)) return true;
  // `toLower(uniqueString(...))`, `getenv("X")`: a call computes the value.
  if (/^[A-Za-z_][\w.]*\(/.test(v)) return true;
  // `tokens[i]`, `args.token`: code indexing or reading a member.
  if (/^[A-Za-z_$][\w$]*(\[[^\]]*\]|\.[\w$]+)+$/.test(v)) return true;
  // `TOKEN=$(az account get-access-token ...)`, `${PASSWORD}`, `{{ secret }}` inside a value: substituted later.
  if (/\$\(|\$\{|\{\{/.test(v)) return true;
  return false;
}

/**
 * A value assigned to a secret-named key must look like one to count: code such as
 * `password: string` or `token: runTokenCommand` assigns words, not credentials.
 */
function plausibleLiteral(value: string): boolean {
  const v = value.replace(/^[\s"'`([{]+|[\s"'`,;:)\]}]+$/g, '');
  if (v.length < 8 || /\s/.test(v)) return false;
  if (/^[A-Za-z_]+$/.test(v)) return false;
  const classes = [/[a-z]/, /[A-Z]/, /[0-9]/, /[^A-Za-z0-9]/].filter((r) => r.test(v)).length;
  return classes >= 2;
}

/**
 * Keys Microsoft publishes for local emulators (the Cosmos DB emulator, Azurite's
 * devstoreaccount1), as SHA-256 digests: they open nothing outside a developer's machine.
 */
const PUBLIC_EMULATOR_KEYS = new Set([
  'aa6547439583c3a275d4542a0df6c1ad6a863971be9f2a2220f027cc02aef615',
  '0011cc25eb4320717494d2703e8cba85743e71b500283c21c8b88147992f9059',
]);

/** A private key block holds its base64 body, not only the header a comment may quote. */
function hasKeyBody(secret: string): boolean {
  const header = secret.indexOf('-----', 11);
  // Encrypted PEM keys carry Proc-Type and DEK-Info lines before the body.
  return /^\s*(Proc-Type:[^\n]*\n(DEK-Info:[^\n]*\n)?\s*)?[A-Za-z0-9+/]{40,}/.test(secret.slice(header + 5));
}

export function scanSecrets(file: string, text: string): Finding[] {
  const spans = detect(text).filter((s) => s.dataClass === 'secret');
  if (spans.length === 0) return [];
  const starts = lineStarts(text);
  const out: Finding[] = [];
  for (const s of spans) {
    const index = lineAt(starts, s.start);
    const lineStart = starts[index];
    const lineEnd = index + 1 < starts.length ? starts[index + 1] - 1 : text.length;
    const line = text.slice(lineStart, lineEnd);
    const before = text.slice(Math.max(lineStart, s.start - 80), s.start);
    const secret = text.slice(s.start, s.end);
    const id = kindOf(before, secret, line);
    if (id === 'secret.private-key') {
      if (!hasKeyBody(secret)) continue;
    } else {
      if (isReference(secret)) continue;
      // Found because the key before it names a secret: the value must then look like one.
      const key = /([A-Za-z0-9_-]+)["']?\s*[=:]\s*["'`]?$/.exec(before)?.[1];
      if (
        key !== undefined &&
        (isSecretKeyName(key) || key.toLowerCase() === 'sig') &&
        !plausibleLiteral(secret)
      )
        continue;
      if (PUBLIC_EMULATOR_KEYS.has(createHash('sha256').update(secret).digest('hex'))) continue;
    }
    out.push(
      finding(id, file, `${id.slice('secret.'.length).replace('-', ' ')} in ${file}:${index + 1}`, {
        file,
        line: index + 1,
        // The line as found, masked; a private key block is shown by its first line only.
        excerpt: line,
      }),
    );
  }
  return out;
}
