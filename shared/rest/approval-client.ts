/**
 * What the approval page runs in the browser, kept as plain strings so the deployable bundle
 * carries them without a file beside it. The script writes every value from the API with
 * `textContent` (never `innerHTML`), and the page's policy (`require-trusted-types-for
 * 'script'`) makes the browser refuse any HTML sink it might reach by mistake.
 * No backticks or `${` below: this is a String.raw template.
 */
export const APPROVAL_CLIENT_SCRIPT = String.raw`(function () {
  'use strict';
  var root = document.getElementById('approval');
  if (!root) return;
  var cfg = root.dataset;
  var requestId = cfg.requestId || '';
  var token = null;
  function el(id) { return document.getElementById(id); }
  function show(id, on) { var e = el(id); if (e) e.hidden = !on; }
  function say(text, kind) { var m = el('message'); m.textContent = text; m.className = kind || ''; }
  // Characters that reorder or hide text (bidi controls, zero-width and tag characters,
  // blank-looking letters) and controls other than tab and newline are written as a code, so
  // the statement and parameters an approver reads are the ones that run.
  var INVISIBLE = /(?![\t\n])(?:[\p{Cc}\p{Cf}\u2028\u2029\u115F\u1160\u3164\uFFA0\u2800]|\u034F|\u17B4|\u17B5)/gu;
  function visible(v) {
    return String(v).replace(INVISIBLE, function (c) {
      return '[U+' + c.codePointAt(0).toString(16).toUpperCase().padStart(4, '0') + ']';
    });
  }
  function shown(v) { return v === null || v === undefined || v === '' ? '\u2014' : visible(v); }
  function setField(name, v) { var e = el('f-' + name); if (e) e.textContent = shown(v); }
  function list(id, items) {
    var ul = el(id);
    ul.replaceChildren();
    (items.length ? items : ['none']).forEach(function (s) {
      var li = document.createElement('li');
      li.textContent = visible(s);
      ul.appendChild(li);
    });
  }
  function wait(ms) { return new Promise(function (r) { setTimeout(r, ms); }); }
  function parse(res) {
    return res.text().then(function (t) {
      var body = null;
      try { body = JSON.parse(t); } catch (e) { body = null; }
      return { status: res.status, body: body };
    });
  }
  function call(method, path, body) {
    var headers = { authorization: 'Bearer ' + token };
    if (body !== undefined) headers['content-type'] = 'application/json';
    return fetch(path, {
      method: method, headers: headers, cache: 'no-store', credentials: 'omit',
      body: body === undefined ? undefined : JSON.stringify(body)
    }).then(parse);
  }
  function errorText(r) {
    return r.body && r.body.error ? r.body.error.code + ': ' + r.body.error.message : 'HTTP ' + r.status;
  }
  var current = null;
  function render(r) {
    current = r;
    ['id', 'status', 'connection', 'approverGroup', 'quorum', 'maxRows', 'estimatedRows', 'purpose',
      'createdAt', 'expiresAt'].forEach(function (k) { setField(k, r[k]); });
    var q = r.requester || {};
    setField('requester', shown(q.kind) + ' ' + shown(q.id) + (q.name ? ' (' + q.name + ')' : ''));
    el('statement').textContent = visible(r.statement);
    list('params', (r.params || []).map(function (p, i) { return '$' + (i + 1) + ' = ' + p; }));
    list('reasons', r.reasons || []);
    list('policies', r.policyIds || []);
    list('votes', (r.votes || []).map(function (v) {
      var who = v.approver ? (v.approver.name || v.approver.id) : '?';
      return v.decision + ' by ' + who + ' at ' + v.at + (v.reason ? ': ' + v.reason : '');
    }));
    var mr = el('max-rows');
    mr.max = String(r.maxRows);
    mr.placeholder = 'at most ' + r.maxRows;
    show('request', true);
    show('decide', r.status === 'pending' && !root.dataset.decided);
  }
  function load() {
    return call('GET', '/api/v1/requests/' + encodeURIComponent(requestId)).then(function (r) {
      if (r.status === 200 && r.body && r.body.request) { render(r.body.request); return r.body.request; }
      show('request', false);
      show('decide', false);
      say(r.status === 404 ? 'No such request, or you are not one of its approvers.' : errorText(r), 'error');
      return null;
    });
  }
  function signedIn(t, who) {
    token = t;
    el('who').textContent = who;
    show('signin', false);
    show('signed-in', true);
    if (!requestId) { say('Signed in. Open the link from the approval card to decide a request.', ''); return null; }
    say('', '');
    return load();
  }
  function busy(on) { el('approve').disabled = on; el('deny').disabled = on; }
  function follow(n, votesBefore) {
    return load().then(function (req) {
      if (req && req.status === 'pending' && (req.votes || []).length > votesBefore) {
        var yes = req.votes.filter(function (v) { return v.decision === 'approve'; }).length;
        say('Your decision is recorded: ' + yes + ' of ' + req.quorum + ' approvals; the request waits for more.', 'ok');
        return req;
      }
      if (req && (req.status === 'pending' || req.status === 'approved' || req.status === 'executing') && n > 0) {
        return wait(1000).then(function () { return follow(n - 1, votesBefore); });
      }
      if (req) say('The request is ' + req.status + '.', req.status === 'completed' || req.status === 'denied' ? 'ok' : '');
      return req;
    });
  }
  function decide(decision) {
    var body = { decision: decision };
    var reason = el('reason').value.trim();
    if (reason) body.reason = reason;
    var cap = el('max-rows').value.trim();
    if (cap && decision === 'approve') {
      var n = Number(cap);
      if (!Number.isInteger(n) || n < 1) { say('The row cap must be a whole number, 1 or more.', 'error'); return; }
      body.maxRows = n;
    }
    var votesBefore = current ? (current.votes || []).length : 0;
    busy(true);
    call('POST', '/api/v1/approvals/' + encodeURIComponent(requestId) + '/decision', body).then(function (r) {
      if (r.status === 202) {
        root.dataset.decided = 'true';
        show('decide', false);
        say('Decision queued; waiting for the gateway to apply it.', '');
        return follow(30, votesBefore);
      }
      busy(false);
      say(errorText(r), 'error');
      return null;
    }).catch(function (e) { busy(false); say('The decision could not be sent: ' + e, 'error'); });
  }
  el('approve').addEventListener('click', function () { decide('approve'); });
  el('deny').addEventListener('click', function () { decide('deny'); });

  var devForm = el('dev-form');
  if (devForm) {
    devForm.addEventListener('submit', function (ev) {
      ev.preventDefault();
      var user = el('dev-user').value.trim();
      var groups = el('dev-groups').value.split(',').map(function (s) { return s.trim(); })
        .filter(function (s) { return s.length > 0; });
      fetch('/api/dev/token', {
        method: 'POST', credentials: 'omit', cache: 'no-store',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ user: user, groups: groups })
      }).then(parse).then(function (r) {
        if (r.status === 200 && r.body && r.body.token) {
          return signedIn(r.body.token, 'human:' + user + ' (dev sign-in, groups: ' + (groups.join(', ') || 'none') + ')');
        }
        say(errorText(r), 'error');
        return null;
      }).catch(function (e) { say('Dev sign-in failed: ' + e, 'error'); });
    });
  }

  if (cfg.clientId && typeof msal !== 'undefined') {
    var scopes = [cfg.scope];
    var app = new msal.PublicClientApplication({
      auth: { clientId: cfg.clientId, authority: cfg.authority, redirectUri: cfg.redirectUri },
      cache: { cacheLocation: 'sessionStorage' }
    });
    var button = el('entra-signin');
    button.addEventListener('click', function () {
      button.disabled = true;
      app.loginRedirect({ scopes: scopes }).catch(function (e) { button.disabled = false; say('Sign-in failed: ' + e, 'error'); });
    });
    app.initialize().then(function () { return app.handleRedirectPromise(); }).then(function (result) {
      var account = (result && result.account) || app.getAllAccounts()[0];
      if (result && result.accessToken) return signedIn(result.accessToken, account.username || account.name || '');
      if (!account) { button.disabled = false; return null; }
      return app.acquireTokenSilent({ scopes: scopes, account: account }).then(function (t) {
        return signedIn(t.accessToken, account.username || account.name || '');
      }, function () { button.disabled = false; return null; });
    }).catch(function (e) { button.disabled = false; say('Sign-in failed: ' + e, 'error'); });
  }
})();
`;

/** The redirect URI page: MSAL's bridge hands the response back to the page that signed in. */
export const REDIRECT_BRIDGE_SCRIPT = `(function () {
  'use strict';
  msalRedirectBridge.broadcastResponseToMainFrame().catch(function (e) {
    var m = document.getElementById('message');
    if (m) m.textContent = 'Sign-in could not be completed: ' + (e && e.message ? e.message : e);
  });
})();
`;

export const APPROVAL_STYLES = `body { font: 15px/1.45 system-ui, sans-serif; margin: 2rem auto; max-width: 60rem; padding: 0 1rem; color: #1b1b1b; }
h1 { font-size: 1.4rem; }
dl { display: grid; grid-template-columns: 12rem 1fr; gap: .3rem 1rem; }
dt { font-weight: 600; }
dd { margin: 0; overflow-wrap: anywhere; }
pre { background: #f4f4f4; padding: .8rem; overflow-x: auto; white-space: pre-wrap; }
section { margin: 1.2rem 0; }
label { display: block; margin: .5rem 0 .2rem; }
input, textarea { font: inherit; width: 100%; max-width: 30rem; }
button { font: inherit; padding: .4rem 1.2rem; margin-right: .6rem; }
#approve { background: #176b2c; color: #fff; border: 0; }
#deny { background: #9b1c1c; color: #fff; border: 0; }
.error { color: #9b1c1c; }
.ok { color: #176b2c; }
.note { color: #555; font-size: .9rem; }
`;
