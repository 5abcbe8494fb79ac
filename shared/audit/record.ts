/**
 * The audit trail is a stream of AuditEvents (`event.ts`). It is written through the store
 * port before any response that carries data is sent, and never holds clear values of
 * masked data, tokens or secrets. `AuditRecord` is what a store holds: any event.
 */
export type { AuditEvent as AuditRecord, RequestEvent } from './event.js';
