/**
 * A loopback TCP proxy that records how the client's bytes arrived (one entry per read), so tests
 * can tell pipelined command groups (RFC 2920) from lock-step commands on a real server's wire.
 */
import * as net from 'node:net';
import { LOOPBACK, type RunningServer } from './harness.js';

export interface ClientRead {
  readonly connection: number;
  readonly bytes: Buffer;
}

export interface RunningProxy extends RunningServer {
  /** Client-to-server reads, in order. */
  reads(): ClientRead[];
  /** The client's command lines grouped by the read that completed them (DATA content excluded by the caller). */
  commandGroups(): string[][];
}

export async function startProxy(targetPort: number): Promise<RunningProxy> {
  const reads: ClientRead[] = [];
  const sockets = new Set<net.Socket>();
  let connections = 0;
  const server = net.createServer((client) => {
    const id = connections++;
    const upstream = net.connect({ host: LOOPBACK, port: targetPort });
    sockets.add(client);
    sockets.add(upstream);
    client.on('data', (bytes: Buffer) => {
      reads.push({ connection: id, bytes: Buffer.from(bytes) });
      upstream.write(bytes);
    });
    upstream.on('data', (bytes: Buffer) => client.write(bytes));
    const closeBoth = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('close', closeBoth);
    upstream.on('close', closeBoth);
    client.on('error', closeBoth);
    upstream.on('error', closeBoth);
  });
  await new Promise<void>((resolve) => server.listen(0, LOOPBACK, resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    reads: () => [...reads],
    commandGroups: () => groupCommands(reads),
    stop: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Splits each read into CRLF lines, keeping only lines that look like commands (a verb first). */
function groupCommands(reads: readonly ClientRead[]): string[][] {
  let inData = false;
  const groups: string[][] = [];
  for (const { bytes } of reads) {
    const group: string[] = [];
    for (const line of bytes.toString('latin1').split('\r\n')) {
      if (line === '') continue;
      if (inData) {
        if (line === '.') inData = false;
        continue;
      }
      group.push(line);
      if (line.toUpperCase() === 'DATA') inData = true;
    }
    if (group.length > 0) groups.push(group);
  }
  return groups;
}
