/**
 * The raw reference as a BenchClient: `connections` RawConnections, messages split evenly, bodies
 * pre-encoded (or streamed through the project's DataEncoder when `rawStream`).
 */
import type { Readable } from 'node:stream';
import type { BenchClient, ClientSetup } from './bench-client.js';
import { RawConnection } from './raw-sender.js';

export function createRawClient(setup: ClientSetup): BenchClient {
  const connections: RawConnection[] = [];
  const share = (count: number, index: number): number =>
    Math.floor(count / setup.connections) + (index < count % setup.connections ? 1 : 0);

  const sendAll = async (count: number, warm = false): Promise<void> => {
    await Promise.all(
      connections.map(async (connection, index) => {
        const mine = share(count, index);
        if (warm) {
          await connection.sendEncoded(mine, setup.warmEncoded);
          return;
        }
        if (!setup.rawStream) {
          if (!setup.encoded) throw new Error('raw client needs the encoded body');
          await connection.sendEncoded(mine, setup.encoded);
          return;
        }
        for (let i = 0; i < mine; i++) await connection.sendStream(setup.body() as Readable);
      }),
    );
  };

  return {
    async warm(count) {
      // Warm-up may come in several calls (client-worker.ts): connect on the first only.
      if (connections.length === 0)
        for (let i = 0; i < setup.connections; i++)
          connections.push(await RawConnection.open(setup.host, setup.port));
      await sendAll(count, true);
    },
    run: (count) => sendAll(count),
    async close() {
      await Promise.all(connections.map((connection) => connection.quit()));
    },
  };
}
