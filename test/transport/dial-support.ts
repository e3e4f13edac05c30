/** Shared by the dial tests: a port nothing listens on, and the SmtpError a promise rejects with. */
import { once } from 'node:events';
import * as net from 'node:net';
import { expect } from 'vitest';
import { SmtpError } from '../../src/errors/smtp-error.js';

/** A loopback port that was free a moment ago: a connection to it is refused. */
export async function closedPort(): Promise<number> {
  const server = net.createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** The SmtpError `promise` rejects with (fails the test if it resolves or rejects with anything else). */
export async function failure(promise: Promise<unknown>): Promise<SmtpError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(SmtpError);
  return error as SmtpError;
}
