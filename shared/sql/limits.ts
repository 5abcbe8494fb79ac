import { GatewayError } from '../errors.js';

/** Agents have no business sending statements this large; refusing early bounds parser work. */
export const MAX_STATEMENT_BYTES = 100 * 1024;

export function checkStatementSize(sql: string): void {
  if (Buffer.byteLength(sql, 'utf8') > MAX_STATEMENT_BYTES) {
    throw new GatewayError('statement_refused', 'The statement is too long.', {
      details: { maxBytes: MAX_STATEMENT_BYTES },
    });
  }
  if (sql.trim() === '') {
    throw new GatewayError('unparseable_statement', 'The statement is empty.');
  }
}
