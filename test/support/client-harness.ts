/**
 * Wires a createClient() to a scripted server on 127.0.0.1 with the test CA, and tears both down
 * after each test (server first, so a client stuck on a silent server is released at once).
 */
import { afterEach } from 'vitest';
import { SmtpError } from '../../src/errors/smtp-error.js';
import { createClient, type SmtpClient } from '../../src/transport/client.js';
import type { ClientOptions } from '../../src/transport/client-options.js';
import { type ScriptedServer, type ScriptedServerOptions, startScriptedServer } from './scripted-server.js';
import { type TlsFixtures, tlsFixtures } from './tls-fixtures.js';

export const MESSAGE = 'From: a@example.test\r\nTo: b@example.test\r\nSubject: test\r\n\r\nHello\r\n';

export interface Harness {
  readonly server: ScriptedServer;
  readonly client: SmtpClient;
  readonly fixtures: TlsFixtures;
}

const open: Harness[] = [];

afterEach(async () => {
  for (const { server, client } of open.splice(0)) {
    await server.close();
    await client.close();
  }
});

/** A scripted server (STARTTLS with the test CA's certificate by default) and a client aimed at it. */
export async function harness(
  serverOptions: ScriptedServerOptions = {},
  clientOptions: Partial<ClientOptions> = {},
): Promise<Harness> {
  const fixtures = await tlsFixtures();
  const server = await startScriptedServer({ tls: fixtures.server, ...serverOptions });
  const client = createClient({
    host: 'localhost',
    address: '127.0.0.1',
    port: server.port,
    tls: { ca: fixtures.ca.cert },
    ...clientOptions,
  });
  const made = { server, client, fixtures };
  open.push(made);
  return made;
}

/** The rejection of `promise`, asserted to be an SmtpError. */
export async function rejection(promise: Promise<unknown>): Promise<SmtpError> {
  const outcome = await promise.then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );
  if (!('error' in outcome)) throw new Error('expected a rejection, got a result');
  if (!(outcome.error instanceof SmtpError)) throw outcome.error;
  return outcome.error;
}

/** Every `code` along the error's cause chain (SmtpError codes and Node's codes). */
export function causeCodes(error: unknown): string[] {
  const codes: string[] = [];
  for (let current = error; current instanceof Error; current = current.cause) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') codes.push(code);
  }
  return codes;
}

/** The verbs the server received on every connection, in order. */
export function verbs(server: ScriptedServer): string[] {
  return server.connections.flatMap((connection) => connection.commands.map((command) => command.verb));
}
