/**
 * The smtp-server settings that make a listener look like SES's SMTP endpoint (the SES reply table):
 * its host name and EHLO keywords, AUTH PLAIN/LOGIN, the idle timeout, and the session callbacks.
 */
import type { Socket } from 'node:net';
import type { SMTPServerOptions } from 'smtp-server';
import type { PemPair } from '../../testing/certificates.js';
import type { SesBehaviour } from './behaviour.js';
import type { ResolvedSesSimulatorOptions } from './options.js';
import { SES_HOST_NAME, SesReplies } from './replies.js';
import type { SesSimulatorStats } from './simulator.js';

/** What both listeners share: the decisions, the counters and the open sockets. */
export interface SimulatorState {
  readonly resolved: ResolvedSesSimulatorOptions;
  readonly behaviour: SesBehaviour;
  readonly stats: SesSimulatorStats;
  /** Open sockets of both ports: stats.active counts them and close() destroys them. */
  readonly sockets: Set<Socket>;
  /**
   * Sessions admitted under the connection cap (ids). Counted when each is admitted, not when its
   * socket was accepted: a burst of connections would otherwise all see the burst and all be refused.
   */
  readonly admitted: Set<string>;
}

/** `secure`: implicit TLS (like 465); otherwise STARTTLS is offered (like 587). */
export function serverOptions(secure: boolean, server: PemPair, state: SimulatorState): SMTPServerOptions {
  return {
    secure,
    key: server.key,
    cert: server.cert,
    minVersion: 'TLSv1.2',
    name: SES_HOST_NAME,
    heloResponse: '%s',
    logger: false,
    disableReverseLookup: true,
    hidePIPELINING: true,
    hideSMTPUTF8: true,
    hideENHANCEDSTATUSCODES: true,
    hideDSN: true,
    hideREQUIRETLS: true,
    authMethods: ['PLAIN', 'LOGIN'],
    authRequiredMessage: SesReplies.authRequired,
    // SES has no such limit; smtp-server reads `false` as its default 10 (then a 421 SES never sends).
    maxAllowedUnauthenticatedCommands: Number.POSITIVE_INFINITY,
    socketTimeout: state.resolved.idleTimeoutMs,
    closeTimeout: 100,
    ...sessionHandlers(state),
  };
}

type SessionHandlers = Pick<SMTPServerOptions, 'onConnect' | 'onAuth' | 'onMailFrom' | 'onData' | 'onClose'>;

function sessionHandlers({ resolved, behaviour, stats, admitted }: SimulatorState): SessionHandlers {
  return {
    onConnect(session, callback) {
      stats.connections += 1;
      const max = resolved.maxConnections;
      if (max !== undefined && admitted.size >= max) {
        callback(Object.assign(new Error(SesReplies.tooManyConnections), { responseCode: 421 }));
        return;
      }
      admitted.add(session.id);
      callback();
    },
    onAuth(auth, _session, callback) {
      if (behaviour.authenticate(auth.username, auth.password)) {
        callback(null, { user: auth.username });
        return;
      }
      callback(null, { message: SesReplies.authInvalid, responseCode: 535 });
    },
    onMailFrom: (_address, session, callback) => behaviour.onMailFrom(session, callback),
    onData(stream, session, callback) {
      behaviour.onData(stream, session, (error, message) => {
        if (!error) stats.accepted += 1;
        callback(error, message);
      });
    },
    onClose: (session) => {
      admitted.delete(session.id);
      behaviour.sessionClosed(session);
    },
  };
}
