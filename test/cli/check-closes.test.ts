/** An implicit-TLS check against a server that accepts TCP and closes at once (overloaded, a connection cap): 75, as send says, without TLS-mode advice. */
import { createServer, type Server } from 'node:net';
import { describe, expect, test } from 'vitest';
import { ONE_MESSAGE, runCli } from './cli-harness.js';

describe('check against a server that closes early', () => {
  test('--security implicit, connection closed before any TLS byte: 75 like send, no "starts in plaintext" advice', async () => {
    const sockets = new Set<import('node:net').Socket>();
    const server: Server = createServer((socket) => {
      sockets.add(socket);
      socket.on('error', () => {});
      socket.end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    try {
      const sent = await runCli([
        'send',
        '--host',
        `127.0.0.1:${port}`,
        '--security',
        'implicit',
        ...ONE_MESSAGE,
        '--no-retry',
        '--timeout',
        '2',
      ]);
      expect(sent.code).toBe(75);
      const checked = await runCli([
        'check',
        `127.0.0.1:${port}`,
        '--security',
        'implicit',
        '--json',
        '--timeout',
        '2',
      ]);
      const tls = JSON.parse(checked.stdout).steps.find((s: { step: string }) => s.step === 'tls');
      expect(tls.advice.join('\n')).not.toMatch(/starts in plaintext/);
      expect(checked.code).toBe(75);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
