import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { requestEvent } from '../../../shared/pipeline/record.js';
import { newTrace } from '../../../shared/pipeline/trace.js';

const END = { status: 404, errorCode: 'connection_not_found', rowsReturned: 0, truncated: false };

function event(connection: string | null, tool?: string) {
  const trace = newTrace({
    requestId: 'r-1',
    time: new Date('2026-12-04T00:00:00Z'),
    transport: tool === undefined ? 'rest' : 'mcp',
    action: 'query',
    connection,
    ...(tool === undefined ? {} : { tool }),
  });
  return requestEvent(trace, END);
}

describe('route values a caller typed are masked in its audit event (red-team round 33)', () => {
  test('a connection id or tool name holding a card number or an email is written masked', () => {
    const e = event('4111111111111111', 'tool 4111111111111111 bob@example.com');
    const text = JSON.stringify(e);
    assert.ok(!text.includes('4111111111111111'), text);
    assert.ok(!text.includes('bob@example.com'), text);
    assert.notEqual(e.connection, null);
    assert.match(e.tool ?? '', /^tool /);
  });

  test('ordinary ids and tool names are written as they are', () => {
    const e = event('demo', 'query');
    assert.equal(e.connection, 'demo');
    assert.equal(e.tool, 'query');
    assert.equal(event(null).connection, null);
  });
});
