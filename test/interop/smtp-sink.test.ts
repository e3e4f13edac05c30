/**
 * Interop with Postfix smtp-sink (a real, independent SMTP server with fault knobs): delivery
 * outcomes around the final dot (threats.md §7), 4xx/5xx at each command, HELO fallback, lock-step
 * without PIPELINING (RFC 2920), 8BITMIME (RFC 6152) and the DATA timeouts (RFC 5321 §4.5.3.2).
 */
import { describe, expect, test } from 'vitest';
import { ErrorCodes } from '../../src/errors/codes.js';
import { failure, interopScope, settle, success } from '../support/servers/client-fixture.js';
import { warnIfUnavailable } from '../support/servers/harness.js';
import * as sink from '../support/servers/smtp-sink.js';

const availability = sink.available();
warnIfUnavailable('smtp-sink', availability);

const { defer, clientFor, proxiedClientFor } = interopScope({
  command: 3000,
  dataStart: 3000,
  dataBlock: 3000,
  dataTermination: 3000,
});

async function startSink(options: sink.SmtpSinkOptions = {}): Promise<sink.RunningSmtpSink> {
  const server = await sink.start(options);
  defer(() => server.stop());
  return server;
}

const SEVEN_BIT = 'Subject: interop\r\n\r\n.leading dot\r\nbody\r\n';
const EIGHT_BIT = 'Subject: interop\r\n\r\ncaf\u00e9\r\n';
const envelope = { from: 'sender@example.com', to: ['rcpt@example.net'] };

describe.skipIf(!availability.ok)('smtp-sink', () => {
  test('delivers a message; smtp-sink sees it dot-unstuffed, with BODY=8BITMIME only for 8-bit', async () => {
    const server = await startSink();
    const { client } = clientFor(server.port);
    const first = success(await settle(client, { ...envelope, message: SEVEN_BIT }));
    expect(first.accepted).toEqual(['rcpt@example.net']);
    expect(first.reply.code).toBe(250);
    success(await settle(client, { ...envelope, message: EIGHT_BIT }));
    const [seven, eight] = server.messages();
    expect(seven).toMatchObject({ helo: 'client.example', mailArgs: '<sender@example.com>' });
    expect(seven?.rcptArgs).toEqual(['<rcpt@example.net>']);
    expect(seven?.content).toBe('Subject: interop\n\n.leading dot\nbody\n');
    expect(eight?.mailArgs).toBe('<sender@example.com> BODY=8BITMIME');
    expect(Buffer.from(eight?.content ?? '', 'latin1').toString('utf8')).toBe(
      'Subject: interop\n\ncaf\u00e9\n',
    );
  });

  test('reuses one connection for several messages', async () => {
    const server = await startSink();
    const { client, verbs } = clientFor(server.port);
    for (let i = 0; i < 3; i++) success(await settle(client, { ...envelope, message: SEVEN_BIT }));
    expect(server.messages()).toHaveLength(3);
    expect(verbs().filter((verb) => verb === 'EHLO')).toHaveLength(1);
  });

  test('a drop after the final dot is outcome "unknown" (the server did receive the message)', async () => {
    const server = await startSink({ dropAfter: ['.'] });
    const { client } = clientFor(server.port);
    const error = failure(await settle(client, { ...envelope, message: SEVEN_BIT }));
    expect(error).toMatchObject({ outcome: 'unknown', phase: 'data-end', origin: 'network' });
    expect(error.code).toBe(ErrorCodes.CONNECTION_CLOSED);
    expect(server.messages()).toHaveLength(1);
  });

  test.each(['MAIL', 'RCPT', 'DATA'] as const)('a drop after %s is outcome "not-sent"', async (command) => {
    const server = await startSink({ dropAfter: [command] });
    const { client } = clientFor(server.port);
    const error = failure(await settle(client, { ...envelope, message: SEVEN_BIT }));
    expect(error.outcome).toBe('not-sent');
    expect(server.messages()).toHaveLength(0);
  });

  test('421 after the final dot: a transient refusal, not sent, the client reconnects for the next message', async () => {
    const server = await startSink({ reply421After: ['.'] });
    const { client, verbs } = clientFor(server.port);
    const error = failure(await settle(client, { ...envelope, message: SEVEN_BIT }));
    expect(error).toMatchObject({ outcome: 'not-sent', retryable: true, phase: 'data-end' });
    expect(error.reply?.code).toBe(421);
    const again = failure(await settle(client, { ...envelope, message: SEVEN_BIT }));
    expect(again.reply?.code).toBe(421);
    expect(verbs().filter((verb) => verb === 'EHLO')).toHaveLength(2);
  });

  test.each([
    ['MAIL', 'mail', ErrorCodes.SENDER_REJECTED],
    ['RCPT', 'rcpt', ErrorCodes.ALL_RECIPIENTS_REJECTED],
    ['DATA', 'data', ErrorCodes.DATA_REJECTED],
    ['.', 'data-end', ErrorCodes.MESSAGE_REJECTED],
  ] as const)('soft reject at %s → 4xx, not-sent, retryable', async (command, phase, code) => {
    const server = await startSink({ softReject: [command] });
    const { client } = clientFor(server.port);
    const error = failure(await settle(client, { ...envelope, message: SEVEN_BIT }));
    expect(error).toMatchObject({ name: 'SmtpReplyError', outcome: 'not-sent', retryable: true, phase });
    expect(error.reply?.code).toBe(450);
    expect(error.code === code || error.code === ErrorCodes.TRANSIENT_FAILURE).toBe(true);
  });

  test.each([
    ['MAIL', 'mail', ErrorCodes.SENDER_REJECTED],
    ['RCPT', 'rcpt', ErrorCodes.ALL_RECIPIENTS_REJECTED],
    ['DATA', 'data', ErrorCodes.DATA_REJECTED],
    ['.', 'data-end', ErrorCodes.MESSAGE_REJECTED],
  ] as const)('hard reject at %s → 5xx, rejected, not retryable', async (command, phase, code) => {
    const server = await startSink({ hardReject: [command] });
    const { client } = clientFor(server.port);
    const error = failure(await settle(client, { ...envelope, message: SEVEN_BIT }));
    expect(error).toMatchObject({
      name: 'SmtpReplyError',
      outcome: 'rejected',
      retryable: false,
      phase,
      code,
    });
    expect(error.reply?.code).toBe(500);
  });

  test('after a rejected transaction the same connection still delivers (RSET, then the next message)', async () => {
    const server = await startSink({ hardReject: ['DATA'] });
    const { client, verbs } = clientFor(server.port);
    failure(await settle(client, { ...envelope, message: SEVEN_BIT }));
    failure(await settle(client, { ...envelope, message: SEVEN_BIT }));
    expect(verbs().filter((verb) => verb === 'EHLO')).toHaveLength(1);
    expect(verbs()).toContain('RSET');
  });

  describe('without ESMTP (EHLO refused)', () => {
    test('security "none": falls back to HELO and delivers a 7-bit message', async () => {
      const server = await startSink({ hideEsmtp: true });
      const { client, verbs } = clientFor(server.port);
      success(await settle(client, { ...envelope, message: SEVEN_BIT }));
      expect(verbs().slice(0, 2)).toEqual(['EHLO', 'HELO']);
      expect(server.messages()[0]?.mailArgs).toBe('<sender@example.com>');
    });

    test('security "none": an 8-bit body is refused before MAIL (HELO means no 8BITMIME)', async () => {
      const server = await startSink({ hideEsmtp: true });
      const { client, verbs } = clientFor(server.port);
      const error = failure(await settle(client, { ...envelope, message: EIGHT_BIT }));
      expect(error.code).toBe(ErrorCodes.BODY_8BIT_NOT_SUPPORTED);
      expect(verbs()).not.toContain('MAIL');
    });

    test('security "starttls" (TLS required): no HELO fallback, nothing sent', async () => {
      const server = await startSink({ hideEsmtp: true });
      const { client, verbs } = clientFor(server.port, { security: 'starttls' });
      const error = failure(await settle(client, { ...envelope, message: SEVEN_BIT }));
      // 5xx to EHLO: permanent for this configuration ('rejected'); never 'unknown'.
      expect(error).toMatchObject({ code: ErrorCodes.EHLO_REFUSED, phase: 'ehlo' });
      expect(error.outcome).not.toBe('unknown');
      expect(verbs()).not.toContain('HELO');
      expect(verbs()).not.toContain('MAIL');
      expect(server.messages()).toHaveLength(0);
    });

    test('with credentials configured: no HELO fallback (AUTH needs EHLO)', async () => {
      const server = await startSink({ hideEsmtp: true });
      const { client, verbs } = clientFor(server.port, {
        auth: { user: 'user', pass: 'secret' },
        dangerouslyAllowAuthWithoutTls: true,
      });
      failure(await settle(client, { ...envelope, message: SEVEN_BIT }));
      expect(verbs()).not.toContain('HELO');
      expect(server.messages()).toHaveLength(0);
    });
  });

  test('PIPELINING offered: MAIL, RCPT and DATA go out as one group', async () => {
    const server = await startSink();
    const { client, proxy } = await proxiedClientFor(server.port);
    success(
      await settle(client, {
        from: 'a@example.com',
        to: ['b@example.net', 'c@example.net'],
        message: SEVEN_BIT,
      }),
    );
    expect(proxy.commandGroups()).toContainEqual([
      'MAIL FROM:<a@example.com>',
      'RCPT TO:<b@example.net>',
      'RCPT TO:<c@example.net>',
      'DATA',
    ]);
  });

  test.each([
    ['PIPELINING hidden by the server', { hidePipelining: true }, {}],
    ['pipelining: false in the client', {}, { pipelining: false }],
  ] as const)('%s: lock-step, one command per write', async (_name, sinkOptions, clientOptions) => {
    const server = await startSink(sinkOptions);
    const { client, proxy } = await proxiedClientFor(server.port, clientOptions);
    success(
      await settle(client, {
        from: 'a@example.com',
        to: ['b@example.net', 'c@example.net'],
        message: SEVEN_BIT,
      }),
    );
    const groups = proxy.commandGroups();
    expect(groups.flat()).toEqual(
      expect.arrayContaining(['MAIL FROM:<a@example.com>', 'RCPT TO:<b@example.net>', 'DATA']),
    );
    for (const group of groups) expect(group).toHaveLength(1);
    expect(server.messages()).toHaveLength(1);
  });

  test('8BITMIME hidden: an 8-bit body fails with BODY_8BIT_NOT_SUPPORTED before MAIL; 7-bit still goes', async () => {
    const server = await startSink({ hide8BitMime: true });
    const { client, verbs } = clientFor(server.port);
    const error = failure(await settle(client, { ...envelope, message: EIGHT_BIT }));
    expect(error).toMatchObject({ code: ErrorCodes.BODY_8BIT_NOT_SUPPORTED, outcome: 'not-sent' });
    expect(verbs()).not.toContain('MAIL');
    success(await settle(client, { ...envelope, message: SEVEN_BIT }));
    expect(server.messages()).toHaveLength(1);
    expect(server.messages()[0]?.mailArgs).toBe('<sender@example.com>');
  });

  // Lock-step, so the delay is on the 354 itself: with PIPELINING smtp-sink holds back the MAIL and
  // RCPT replies of the group too, and the MAIL (command) timeout applies first.
  test('a slow 354 with a short DATA-initiation timeout → timeout, not sent', async () => {
    const server = await startSink({ dataDelaySeconds: 3 });
    const { client } = clientFor(server.port, { pipelining: false, timeouts: { dataStart: 300 } });
    const started = Date.now();
    const error = failure(await settle(client, { ...envelope, message: SEVEN_BIT }));
    expect(error).toMatchObject({ code: ErrorCodes.TIMEOUT, outcome: 'not-sent', phase: 'data' });
    expect(Date.now() - started).toBeLessThan(2500);
  });

  test('a slow reply to the final dot with a short termination timeout → timeout, outcome "unknown"', async () => {
    const server = await startSink({ commandDelays: [{ command: '.', seconds: 3 }] });
    const { client } = clientFor(server.port, { timeouts: { dataTermination: 300 } });
    const error = failure(await settle(client, { ...envelope, message: SEVEN_BIT }));
    expect(error).toMatchObject({ code: ErrorCodes.TIMEOUT, outcome: 'unknown', phase: 'data-end' });
  });
});
