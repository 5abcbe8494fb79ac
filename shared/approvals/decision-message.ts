import { z } from 'zod';
import type { PrincipalSnapshot } from '../audit/event.js';

const id = z.string().min(1).max(256);

/** The approver as the channel that took the decision verified them (token, Logic App). */
export const principalSnapshotSchema = z.strictObject({
  id,
  kind: z.enum(['agent', 'human']),
  issuer: z.string().min(1).max(512).optional(),
  appId: z.string().max(256).optional(),
  name: z.string().max(256).optional(),
  groups: z.array(z.string().max(256)).max(500),
  roles: z.array(z.string().max(256)).max(200),
  onBehalfOf: z.strictObject({ id, name: z.string().max(256).optional() }).optional(),
});

/** One approver's decision, as every channel puts it on `approval-decisions`. */
export const decisionMessageSchema = z.strictObject({
  decisionId: id,
  requestId: id,
  approver: principalSnapshotSchema,
  decision: z.enum(['approve', 'deny']),
  reason: z.string().max(2000).optional(),
  maxRows: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER).optional(),
});

export type DecisionMessage = z.infer<typeof decisionMessageSchema>;

// The schema must describe exactly the audit snapshot, so a checked approver can be recorded as is.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const snapshotMatches: Same<z.infer<typeof principalSnapshotSchema>, PrincipalSnapshot> = true;
void snapshotMatches;
