import { hasSqlDetails, loadModule, parseSync } from 'libpg-query';
import { GatewayError } from '../../errors.js';

let ready: Promise<void> | undefined;

/** The WASM parser is loaded once per process; a failed load may be retried later. */
function loaded(): Promise<void> {
  ready ??= loadModule().catch((e: unknown) => {
    ready = undefined;
    throw e;
  });
  return ready;
}

/**
 * Starts loading the parser without waiting for it: the WASM compiles off the main thread, so
 * a host that starts this before its other start-up work (the Cedar policies) gets it for free.
 * Resolves either way; a failed load is retried by the first parse.
 */
export function preloadPostgresParser(): Promise<void> {
  return loaded().catch(() => undefined);
}

const MAX_MESSAGE = 160;

/** Parses with the real PostgreSQL grammar; any failure is the caller's statement, never ours. */
export async function parsePostgres(sql: string): Promise<unknown> {
  await loaded();
  try {
    return parseSync(sql);
  } catch (e) {
    const position = hasSqlDetails(e) ? e.sqlDetails?.cursorPosition : undefined;
    const reason = e instanceof Error ? e.message : 'parse error';
    // The parser quotes the text near the error; keep that short so huge input is not echoed.
    const short = reason.length > MAX_MESSAGE ? `${reason.slice(0, MAX_MESSAGE)}...` : reason;
    const where = position === undefined ? '' : ` at position ${position + 1}`;
    throw new GatewayError('unparseable_statement', `The statement could not be parsed${where}: ${short}`, {
      cause: e,
      details: position === undefined ? undefined : { position: position + 1 },
    });
  }
}
