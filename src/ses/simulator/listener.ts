/**
 * Binding the simulator's two listeners on 127.0.0.1: a port that cannot be bound rejects with a
 * typed error (never an uncaught 'error' event), and a half-started simulator is closed again.
 */
import type { Server } from 'node:net';

export type SesSimulatorListener = 'starttls' | 'tls';

/** A simulator port could not be bound (EADDRINUSE, EACCES, ...): `code` is Node's errno code. */
export class SesSimulatorListenError extends Error {
  override readonly name = 'SesSimulatorListenError';
  /** Node's error code, e.g. 'EADDRINUSE'. */
  readonly code: string;
  readonly port: number;
  readonly listener: SesSimulatorListener;

  constructor(listener: SesSimulatorListener, port: number, cause: unknown) {
    const code = (cause as { code?: unknown } | undefined)?.code;
    const errno = typeof code === 'string' ? code : 'ELISTEN';
    super(`the SES simulator cannot listen on 127.0.0.1:${port} (${listener} port): ${errno}`, { cause });
    this.code = errno;
    this.port = port;
    this.listener = listener;
  }
}

/** Listens on 127.0.0.1:`port` (0 = any free port) and resolves with the bound port. */
export function listen(server: Server, port: number, listener: SesSimulatorListener): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (error: unknown): void => reject(new SesSimulatorListenError(listener, port, error));
    server.once('error', onError);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', onError);
      const address = server.address();
      resolve(typeof address === 'object' && address !== null ? address.port : port);
    });
  });
}
