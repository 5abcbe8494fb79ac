import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import rhea, { type Connection, type EventContext } from 'rhea';
import { type AmqpTestBroker, startAmqpTestBroker } from '../../support/amqp-test-broker.js';

// The broker stands in for Service Bus in the adapter's tests, so it must refuse what the
// service refuses; otherwise a broken handshake in the adapter would go unnoticed.

const KEY = 'test-broker-key';

function sas(audience: string, key: string, keyName = 'RootManageSharedAccessKey'): string {
  const sr = encodeURIComponent(audience);
  const se = Math.floor(Date.now() / 1000) + 600;
  const sig = encodeURIComponent(createHmac('sha256', key).update(`${sr}\n${se}`).digest('base64'));
  return `SharedAccessSignature sr=${sr}&sig=${sig}&se=${se}&skn=${keyName}`;
}

function connect(port: number): Promise<Connection> {
  const container = rhea.create_container();
  const connection = container.connect({
    host: '127.0.0.1',
    port,
    username: 'RootManageSharedAccessKey',
    reconnect: false,
  });
  return new Promise((resolve, reject) => {
    connection.once('connection_open', () => resolve(connection));
    connection.once('connection_error', reject);
  });
}

/** Sends one put-token request on $cbs and returns the status code of the answer. */
function putToken(connection: Connection, audience: string, token: string): Promise<number> {
  const replyTo = `cbs-reply-${Math.random()}`;
  const receiver = connection.open_receiver({ source: { address: '$cbs' }, name: replyTo });
  const sender = connection.open_sender({ target: { address: '$cbs' } });
  return new Promise((resolve) => {
    receiver.once('message', (ctx: EventContext) => {
      const props = (ctx.message?.application_properties ?? {}) as Record<string, unknown>;
      resolve(Number(props['status-code']));
    });
    sender.once('sendable', () => {
      sender.send({
        body: token,
        message_id: 'm1',
        reply_to: replyTo,
        application_properties: {
          operation: 'put-token',
          name: audience,
          type: 'servicebus.windows.net:sastoken',
        },
      });
    });
  });
}

/** Opens a sender to a queue and says whether the broker kept it open. */
function attach(connection: Connection, address: string): Promise<'open' | string> {
  const sender = connection.open_sender({ target: { address } });
  return new Promise((resolve) => {
    sender.once('sender_open', () =>
      setTimeout(() => resolve(sender.is_remote_open() ? 'open' : 'closed'), 50),
    );
    sender.once('sender_close', (ctx: EventContext) => {
      const error = ctx.sender?.error as { condition?: string } | undefined;
      resolve(error?.condition ?? 'closed');
    });
  });
}

describe('AMQP test broker', () => {
  let broker: AmqpTestBroker;
  before(async () => {
    broker = await startAmqpTestBroker({ key: KEY });
  });
  after(() => broker.stop());

  const audience = (entity: string) => `sb://127.0.0.1:${broker.port}/${entity}`;

  it('refuses a link to a queue before any token', async () => {
    const connection = await connect(broker.port);
    assert.equal(await attach(connection, 'approval-requests'), 'amqp:unauthorized-access');
    connection.close();
  });

  it('answers 401 to a token signed with another key, 202 to a good one, and only for its entity', async () => {
    const connection = await connect(broker.port);
    assert.equal(
      await putToken(connection, audience('approval-requests'), sas(audience('approval-requests'), 'wrong')),
      401,
    );
    assert.equal(await attach(connection, 'approval-requests'), 'amqp:unauthorized-access');
    assert.equal(
      await putToken(connection, audience('approval-decisions'), sas(audience('approval-decisions'), KEY)),
      202,
    );
    assert.equal(await attach(connection, 'approval-decisions'), 'open');
    assert.equal(await attach(connection, 'approval-requests'), 'amqp:unauthorized-access');
    connection.close();
  });

  it('refuses a token for another key name or for another audience', async () => {
    const connection = await connect(broker.port);
    const a = audience('approval-requests');
    assert.equal(await putToken(connection, a, sas(a, KEY, 'OtherKey')), 401);
    assert.equal(await putToken(connection, a, sas(audience('approval-decisions'), KEY)), 401);
    assert.equal(await putToken(connection, a, 'Bearer not-a-sas-token'), 401);
    connection.close();
  });

  it('has no queue the test did not ask for', async () => {
    const connection = await connect(broker.port);
    const a = audience('other-queue');
    assert.equal(await putToken(connection, a, sas(a, KEY)), 202);
    assert.equal(await attach(connection, 'other-queue'), 'amqp:not-found');
    connection.close();
  });
});
