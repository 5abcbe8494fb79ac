import type { AuditRecord } from '../audit/record.js';

// Characters Cosmos DB refuses in an item id; refused by every adapter alike.
const FORBIDDEN_ID = /[/\\?#]/;

/**
 * Checks what makes a record storable and returns its partition: the UTC day of its time.
 * Times must be canonical (`Date#toISOString`) because search compares them as strings.
 * A violation is a bug in the gateway, hence TypeError, and the append fails (no data out).
 */
export function auditDay(record: AuditRecord): string {
  const { id, time } = record;
  if (typeof id !== 'string' || id.length === 0 || id.length > 255 || FORBIDDEN_ID.test(id)) {
    throw new TypeError('audit record id must be 1-255 characters without / \\ ? #');
  }
  const ms = typeof time === 'string' ? Date.parse(time) : Number.NaN;
  if (Number.isNaN(ms) || new Date(ms).toISOString() !== time) {
    throw new TypeError('audit record time must be a canonical ISO-8601 UTC time (toISOString)');
  }
  return time.slice(0, 10);
}
