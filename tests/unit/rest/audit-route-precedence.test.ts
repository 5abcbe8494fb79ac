import assert from 'node:assert/strict';
import { test } from 'node:test';
import { matchRoute } from '../../../cli/dev/route-match.js';
import { ROUTES } from '../../../shared/rest/routes.js';

/**
 * A literal route that a parameter route also matches (`v1/audit/jwks` and
 * `v1/audit/{requestId}`) must win on both hosts: the local host takes the first row that
 * matches, the Functions host orders routes by function name (azure-functions-host#9876).
 */
test('every literal route shadowed by a parameter route comes first by table order and by name', () => {
  const shadowed: string[] = [];
  ROUTES.forEach((literal, i) => {
    if (literal.route.includes('{')) return;
    ROUTES.forEach((param, j) => {
      if (param === literal || !param.route.includes('{') || param.root !== literal.root) return;
      if (!matchRoute(param.route, literal.route)) return;
      if (!param.methods.some((m) => literal.methods.includes(m))) return;
      shadowed.push(literal.name);
      assert.ok(i < j, `${literal.name} is listed before ${param.name}`);
      assert.ok(literal.name < param.name, `${literal.name} sorts before ${param.name}`);
      assert.ok(literal.name.toLowerCase() < param.name.toLowerCase());
    });
  });
  // The check above must have found the audit routes, or it proves nothing.
  for (const name of ['auditLaneHeads', 'auditCheckpoints', 'auditJwks', 'auditSessions'])
    assert.ok(shadowed.includes(name), name);
});
