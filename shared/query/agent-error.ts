import { GatewayError } from '../errors.js';

/**
 * What an agent learns when the target rejects its statement: the SQLSTATE, one fixed
 * sentence for its class, and where in the statement it went wrong. The target's own text
 * can quote data (`invalid input syntax for type integer: "x55"`), so it goes to the audit
 * record only; even text the caller wrote is not echoed, since a comment can plant it.
 */
const CLASS_MESSAGES: Readonly<Record<string, string>> = {
  '0A': 'The statement uses a feature the target does not support.',
  '21': 'A subquery or value returned more rows or values than allowed.',
  '22': 'A value in the statement or the data was not valid for an operation (data exception).',
  '23': 'The statement broke an integrity constraint.',
  '25': 'The statement is not allowed in a read-only transaction.',
  '2B': 'The statement depends on an object that cannot be used here.',
  '39': 'A function called by the statement failed.',
  '3F': 'The statement names a schema that does not exist.',
  '42': 'The statement has a syntax error, names something that does not exist, or mixes types that do not match.',
  '44': 'The statement broke a view check option.',
  '54': 'The statement is too complex for the target.',
  P0: 'A procedural language error occurred.',
};

const DEFAULT_MESSAGE = 'The target rejected the statement.';

export function agentFacingError(e: GatewayError): GatewayError {
  const details = e.details ?? {};
  const sqlstate = typeof details.sqlstate === 'string' ? details.sqlstate : undefined;
  const message = (sqlstate && CLASS_MESSAGES[sqlstate.slice(0, 2)]) ?? DEFAULT_MESSAGE;
  const position = typeof details.position === 'number' ? details.position : undefined;
  return new GatewayError(e.code, message, {
    cause: e,
    details: {
      ...(sqlstate ? { sqlstate } : {}),
      ...(position !== undefined ? { position } : {}),
    },
  });
}
