import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidTokenError } from '../../../shared/errors.js';
import { principalFromClaims } from '../../../shared/identity/index.js';

const ISSUER = 'https://login.microsoftonline.com/t/v2.0';

function refusedWith(reason: string) {
  return (e: unknown): boolean => {
    assert.ok(e instanceof InvalidTokenError);
    assert.equal(e.reason, reason);
    return true;
  };
}

describe('principalFromClaims: agent or human', () => {
  it('makes idtyp=app an agent even when scp is present', () => {
    const p = principalFromClaims({ sub: 's', idtyp: 'app', scp: 'Query.Read' }, ISSUER);
    assert.equal(p.kind, 'agent');
  });

  it('makes an app-only token (roles, no scp) an agent', () => {
    const p = principalFromClaims({ sub: 's', oid: 'o', appid: 'app-1', roles: ['Agent.Query'] }, ISSUER);
    assert.equal(p.kind, 'agent');
    assert.equal(p.id, 'o');
    assert.equal(p.appId, 'app-1');
    assert.deepEqual(p.roles, ['Agent.Query']);
    assert.deepEqual(p.scopes, []);
  });

  it('never makes a token without scp a human, even with no roles', () => {
    assert.equal(principalFromClaims({ sub: 's' }, ISSUER).kind, 'agent');
  });

  it('makes a delegated token a human', () => {
    const p = principalFromClaims({ sub: 's', scp: 'Query.Read  Query.Write', groups: ['g1'] }, ISSUER);
    assert.equal(p.kind, 'human');
    assert.deepEqual(p.scopes, ['Query.Read', 'Query.Write']);
    assert.deepEqual(p.groups, ['g1']);
  });

  it('reads xms_act_fct as a string or as an array of numbers', () => {
    for (const xms_act_fct of ['3 9 11', [3, 9, 11]]) {
      const p = principalFromClaims(
        { sub: 's', oid: 'agent-oid', xms_act_fct, xms_sub_fct: '9 3 11' },
        ISSUER,
      );
      assert.equal(p.kind, 'agent');
      assert.equal(p.id, 'agent-oid');
      assert.equal(p.onBehalfOf, undefined);
    }
  });

  it('makes a delegated token whose subject is an agent an agent (round 24)', () => {
    for (const xms_sub_fct of ['11', [3, 11]]) {
      const p = principalFromClaims(
        { sub: 's', oid: 'agent-user', scp: 'Query.Read', groups: ['data-owners'], xms_sub_fct },
        ISSUER,
      );
      assert.equal(p.kind, 'agent');
      assert.equal(p.id, 'agent-user');
    }
  });

  it('does not read 11 inside another facet value (e.g. 111)', () => {
    const p = principalFromClaims({ sub: 's', scp: 'Query.Read', xms_act_fct: '111 3' }, ISSUER);
    assert.equal(p.kind, 'human');
  });

  it('keeps the user when an agent acts on their behalf', () => {
    const p = principalFromClaims(
      {
        sub: 'pairwise',
        oid: 'user-oid',
        azp: 'agent-app',
        scp: 'Query.Read',
        name: 'Alice',
        app_displayname: 'Billing agent',
        xms_act_fct: '11',
        groups: ['g-user'],
      },
      ISSUER,
    );
    assert.equal(p.kind, 'agent');
    assert.equal(p.id, 'agent-app');
    assert.equal(p.name, 'Billing agent');
    assert.deepEqual(p.onBehalfOf, { id: 'user-oid', name: 'Alice' });
    assert.deepEqual(p.groups, ['g-user']);
  });

  it('refuses an agent-for-user token that names no agent app', () => {
    assert.throws(
      () => principalFromClaims({ oid: 'user-oid', scp: 'Query.Read', xms_act_fct: '11' }, ISSUER),
      refusedWith('no_subject'),
    );
  });
});

describe('principalFromClaims: claim mapping', () => {
  it('prefers oid over sub, azp over appid, uti over jti', () => {
    const p = principalFromClaims({ sub: 's', oid: 'o', azp: 'a', appid: 'b', uti: 'u', jti: 'j' }, ISSUER);
    assert.deepEqual([p.id, p.appId, p.tokenId], ['o', 'a', 'u']);
    const q = principalFromClaims({ sub: 's', appid: 'b', jti: 'j' }, ISSUER);
    assert.deepEqual([q.id, q.appId, q.tokenId], ['s', 'b', 'j']);
  });

  it('falls back name -> preferred_username -> app_displayname', () => {
    const claims = { sub: 's', name: 'N', preferred_username: 'P', app_displayname: 'A' };
    assert.equal(principalFromClaims(claims, ISSUER).name, 'N');
    assert.equal(principalFromClaims({ ...claims, name: undefined }, ISSUER).name, 'P');
    assert.equal(principalFromClaims({ sub: 's', app_displayname: 'A' }, ISSUER).name, 'A');
  });

  it('records the issuer and tenant', () => {
    const p = principalFromClaims({ sub: 's', tid: 'tenant-1' }, ISSUER);
    assert.equal(p.issuer, ISSUER);
    assert.equal(p.tenantId, 'tenant-1');
  });

  it('refuses a token with neither oid nor sub', () => {
    assert.throws(() => principalFromClaims({ scp: 'Query.Read' }, ISSUER), refusedWith('no_subject'));
    assert.throws(() => principalFromClaims({ sub: '' }, ISSUER), refusedWith('invalid_claims'));
  });

  it('refuses groups that are not all strings', () => {
    assert.throws(
      () => principalFromClaims({ sub: 's', groups: ['g1', 42] }, ISSUER),
      refusedWith('invalid_claims'),
    );
    assert.throws(
      () => principalFromClaims({ sub: 's', roles: 'Admin' }, ISSUER),
      refusedWith('invalid_claims'),
    );
  });

  it('refuses groups overage rather than returning no groups', () => {
    assert.throws(
      () => principalFromClaims({ sub: 's', scp: 'x', _claim_names: { groups: 'src1' } }, ISSUER),
      refusedWith('groups_overage'),
    );
    assert.throws(
      () => principalFromClaims({ sub: 's', hasgroups: true }, ISSUER),
      refusedWith('groups_overage'),
    );
  });
});
