import { inspect } from 'node:util';
import { z } from 'zod';

/**
 * Hosts Teams Workflows and incoming-webhook URLs live on. A webhook URL carries its own
 * signature (`sig=`), so it is a secret; the allowlist also keeps a mistyped or planted URL
 * from sending approval details anywhere else.
 */
export const DEFAULT_WEBHOOK_HOST_SUFFIXES = [
  '.logic.azure.com',
  '.api.powerplatform.com',
  '.webhook.office.com',
] as const;

function webhookUrl(suffixes: readonly string[]) {
  return z.string().refine(
    (raw) => {
      let url: URL;
      try {
        url = new URL(raw);
      } catch {
        return false;
      }
      const host = url.hostname.toLowerCase();
      return (
        url.protocol === 'https:' &&
        url.port === '' &&
        !url.username &&
        !url.password &&
        suffixes.some((s) => host.endsWith(s) && host.length > s.length)
      );
    },
    // Fixed text: the value itself must never reach an error message or a log.
    { message: 'must be an https URL on a Teams Workflows or webhook host' },
  );
}

/** Approver group (as the policy names it) -> the Teams webhook of that group's channel. */
export function groupWebhooksSchema(suffixes: readonly string[] = DEFAULT_WEBHOOK_HOST_SUFFIXES) {
  return z.record(z.string().trim().min(1).max(256), webhookUrl(suffixes));
}

/**
 * The resolved map. It never shows its URLs: not in JSON, not in `util.inspect`, not in a
 * template string; only `webhookFor` hands one out, to the code that posts.
 */
export class GroupWebhooks {
  readonly #urls: ReadonlyMap<string, string>;

  constructor(urls: ReadonlyMap<string, string>) {
    this.#urls = urls;
  }

  webhookFor(group: string | null): string | undefined {
    return group === null ? undefined : this.#urls.get(group);
  }

  groups(): string[] {
    return [...this.#urls.keys()];
  }

  toJSON(): { groups: string[] } {
    return { groups: this.groups() };
  }

  toString(): string {
    return `GroupWebhooks(${this.groups().join(', ')})`;
  }

  [inspect.custom](): string {
    return this.toString();
  }
}

/**
 * Checks the configured map once at start-up: an object, or its JSON text (as a setting or a
 * Key Vault secret holds it). A bad entry stops the start naming the group, never the URL.
 */
export function parseGroupWebhooks(
  input: unknown,
  options: { allowedHostSuffixes?: readonly string[] } = {},
): GroupWebhooks {
  let value = input;
  if (typeof input === 'string') {
    try {
      value = JSON.parse(input);
    } catch {
      throw new Error('Invalid Teams webhook map: not JSON');
    }
  }
  const parsed = groupWebhooksSchema(options.allowedHostSuffixes).safeParse(value);
  if (!parsed.success) {
    const where = parsed.error.issues.map((i) => `${i.path.map(String).join('.') || '(root)'}: ${i.message}`);
    throw new Error(`Invalid Teams webhook map: ${where.join('; ')}`);
  }
  return new GroupWebhooks(new Map(Object.entries(parsed.data)));
}
