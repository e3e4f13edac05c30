/**
 * The SMTP client session as ONE explicit xstate v5 machine (RFC 5321 §3.3, §4.1.1, §4.2, §4.3.2,
 * §4.5.3.2; RFC 2920 pipelining; RFC 3207 STARTTLS; RFC 4954 AUTH). Pure: no I/O, and no clock of
 * its own: it arms and disarms its timer by effects.
 *
 * Theory of operation
 * - States are named for what the client waits for (greeting, ehlo, mail, rcpt, dataEnd, …). Events
 *   are facts (`reply.received`, `tls.established`, `connection.closed`, `timer.expired`, …); the
 *   machine answers with emitted effects (`write`, `writeSecret`, `upgradeTls`, `writeBody`,
 *   `writeLoneDot`, `close`, `settle`, `armTimer`, `disarmTimer`, `sessionEnded`). Bytes, lines and body chunks never enter:
 *   the facade parses replies and the transport streams bodies, reporting only progress.
 * - Every state that waits for the server has a named timeout (RFC 5321 §4.5.3.2): its entry arms
 *   that timer (`arms('command')`: an `armTimer` effect with the configured ms; re-entry restarts
 *   it), `timer.expired` in it is the timeout, and `ready` disarms. The facade runs the one timer
 *   (phase-timer.ts) instead of xstate's `after`, which scheduled and cancelled a delayed event
 *   through the actor system on every entry and exit (bench/README.md, fifth session).
 * - Every waiting state has the same losses: `connection.closed`, `reply.malformed`, a 421 (RFC 5321
 *   §3.8), a refused command. All end in `failed`, whose entry emits `close`, settles the send in
 *   flight (exactly once: the transaction leaves the context when it settles) and emits
 *   `sessionEnded`. `closed` is the clean end (221, quit, abort). Both are final: nothing can be
 *   written after them. A refusal that ends the session while the dialogue is in step (greeting,
 *   EHLO/HELO, STARTTLS, AUTH, RSET; or STARTTLS/AUTH impossible on what EHLO offered) writes QUIT
 *   on its way to `failed` (RFC 5321 §4.1.1.10, §3.1), and the close says so (`afterQuit`: the
 *   server closes after its 221, which is not waited for here); a 421, a reply out of step, an
 *   injection, a timeout or a loss closes without a word.
 * - Outcomes (threats.md §7): a loss in `dataEnd` (after the dot, before its reply) is 'unknown';
 *   anywhere earlier 'not-sent'; a refusal is classified by the profile (4xx not-sent, 5xx rejected).
 * - A refused transaction is settled only after RSET is answered, so that the session is ready
 *   again when the caller hears about it. A successful one is settled at once, without RSET, and so
 *   is one whose final reply (to the dot or the LAST chunk) is a refusal: that reply ends the
 *   transaction and clears the server's buffers (RFC 5321 §4.1.1.4), so RSET would add nothing.
 *   (Not so when the transaction had failed before the LAST chunk's reply — its envelope, or an
 *   earlier chunk: `bdatEnd` then writes RSET, and the send settles with that first failure.)
 * - Next transaction (RFC 2920 §3.1: message content may be the first "command" of a group): while a
 *   pipelined transaction is in flight, one more send is accepted and held as `next` (pre-checked
 *   at once). With DATA its MAIL/RCPT/DATA are written right behind the dot, in the same flight
 *   (`body.finished` with a next, or a send in `dataEnd`); replies stay matched in order: the dot's
 *   reply settles `tx`, then `next` is promoted and its replies follow. With BDAT, and after a
 *   refused envelope, the held next is written when `tx` ends (promotion). A loss before its turn
 *   settles it 'not-sent'.
 * - One step per pipelined read (reply-group.ts): when one read brings several replies and each is
 *   the positive one expected in turn (the dot's 250, the next MAIL's and RCPTs' 250s, its 354),
 *   `replies.received` takes them in one transition to where the last leaves the transaction, with
 *   the same effects as the one-by-one steps (property-tested). Anything else takes no step, and
 *   the facade delivers the replies one `reply.received` at a time. When the step makes room for
 *   the next send, the facade asks its owner first, and a send handed over rides in the same step
 *   (`send`: pre-checked, held, its envelope behind the dot — what its own `send.requested` does).
 * - BDAT (RFC 3030): a body of known size goes as one `BDAT n LAST` (behind the pipelined envelope,
 *   or after the RCPT replies in lock-step); a stream, only with PIPELINING, as chunks the transport
 *   announces (`body.chunk`), written without waiting for their replies. `bdat` awaits chunk replies
 *   while the body streams (dataBlock timeout: a refused chunk closes, since RSET cannot follow a
 *   chunk still being written), and so does a large chunk that rode with the envelope when the RCPT
 *   replies overtake its bytes (nothing is written until its last octet is); `bdatEnd` once LAST is
 *   written (dataTermination, 'unknown').
 *   Outcomes: once the whole body is on the wire (`bodyWritten`) any loss is 'unknown'; so is a 2xx
 *   to a LAST chunk that rode behind an envelope the server refused (it contradicts itself: close).
 *   A 421 to that envelope is read on from (`closingBehindChunk`): the server's close then leaves
 *   the send not-sent with the 421 (replies come in order: the BDAT behind it was not processed),
 *   anything else before the close 'unknown'.
 * - Lock-step (threats.md §6): where exactly one reply is outstanding (greeting, EHLO/HELO, AUTH,
 *   MAIL/RCPT without a PIPELINING group, DATA's 354, the dot with nothing behind it, the last BDAT
 *   chunk, RSET), more replies or bytes behind it in the same read (`trailing`) answer nothing we
 *   asked: REPLY_UNEXPECTED at once (guard `unaskedBehind`). Pipelined groups read several at once.
 *   One exception: a single whole 421 behind it is the server closing "asynchronously from command
 *   receipt" (RFC 5321 §3.8; SES's "Maximum message count per session reached"): the reply counts,
 *   then the 421 ends the session (STARTTLS's 220 stays strict: threats.md §1). Where TCP cut the
 *   421, the replies before it wait for the rest of its line (reply-intake.ts mayBecomeClosing).
 * - `negotiate` is the only transient state: after each EHLO/HELO it picks STARTTLS, AUTH or ready.
 * - STARTTLS refused (RFC 3207 §4 lets the client go on): with 'starttls-opportunistic' and no AUTH
 *   configured the session continues in plaintext, with the plaintext EHLO's capabilities (nothing
 *   changed on the connection). With AUTH configured it fails (never AUTH without TLS, threats.md §1),
 *   and 'starttls' (required) fails. A 421, or a handshake that fails after the 220, always fails:
 *   the connection's state is then unknown.
 * - Decisions: an abort before the body closes the connection (RSET cannot undo a pipelined DATA
 *   that may already have its 354); an abort in `dataEnd` settles at once with outcome 'unknown'
 *   and closes. A 354 after an envelope with no accepted recipient gets a single dot, not the body
 *   (RFC 2920 §3.1: "the client SMTP should send a single dot"), in `loneDot`; whatever its reply,
 *   the refusal stands and the connection goes on. No reconnection here: a session is one connection.
 */

import { ErrorCodes } from '../errors/codes.js';
import type { Phase } from '../errors/smtp-error.js';
import { NO_CAPABILITIES } from '../protocol/capabilities.js';
import { sessionSetup } from './machine-setup.js';
import {
  arms,
  closing,
  endWith,
  endWithQuit,
  losses,
  refused,
  refusedInStep,
  timeout,
  unasked,
  unexpected,
} from './machine-transitions.js';
import { transactionStates } from './transaction-states.js';

export const sessionMachine = sessionSetup.createMachine({
  id: 'session',
  initial: 'connecting',
  context: ({ input }) => ({
    config: input,
    tls: input.security === 'implicit',
    caps: NO_CAPABILITIES,
    auth: undefined,
    tx: undefined,
    next: undefined,
    error: undefined,
    messagesSent: 0,
    quitWritten: false,
  }),
  states: {
    // No timer here: the transport dials under its own connect timeout (Timeouts.connect) and calls
    // connected() once the socket is up (createClient creates the Session only then). A close
    // before that is a dial that failed: nothing was written (failures.ts dialFailed).
    connecting: {
      on: {
        ...losses('connect'),
        'connection.closed': { target: '#session.failed', actions: 'dialFailed' },
        'connection.opened': 'greeting',
        'reply.received': unexpected('connect'),
      },
    },
    greeting: {
      entry: arms('greeting'),
      on: {
        'timer.expired': timeout('greeting'),
        ...losses('greeting'),
        'reply.received': [
          unasked('greeting', 'one'),
          { guard: { type: 'replyIs', params: { code: 220 } }, target: 'ehlo', actions: 'writeEhlo' },
          closing('greeting'),
          refusedInStep('greeting'),
          unexpected('greeting'),
        ],
      },
    },
    ehlo: {
      entry: arms('command'),
      on: {
        'timer.expired': timeout('ehlo'),
        ...losses('ehlo'),
        'reply.received': [
          closing('ehlo'),
          unasked('ehlo', 'one'),
          {
            guard: { type: 'replyClass', params: { class: 2 } },
            target: 'negotiate',
            actions: 'learnCapabilities',
          },
          { guard: 'heloAllowed', target: 'helo', actions: 'writeHelo' },
          refusedInStep('ehlo'),
          unexpected('ehlo'),
        ],
      },
    },
    helo: {
      entry: arms('command'),
      on: {
        'timer.expired': timeout('helo'),
        ...losses('helo'),
        'reply.received': [
          closing('helo'),
          unasked('helo', 'one'),
          {
            guard: { type: 'replyClass', params: { class: 2 } },
            target: 'negotiate',
            actions: 'forgetCapabilities',
          },
          refusedInStep('helo'),
          unexpected('helo'),
        ],
      },
    },
    negotiate: {
      always: [
        { guard: 'startTlsOffered', target: 'starttls', actions: 'writeStartTls' },
        { guard: 'tlsRequiredButMissing', ...endWithQuit('ehlo', ErrorCodes.TLS_REQUIRED) },
        { guard: 'noAuthConfigured', target: 'ready' },
        { guard: 'authWithoutTls', ...endWithQuit('auth', ErrorCodes.AUTH_WITHOUT_TLS) },
        { guard: 'noUsableMechanism', ...endWithQuit('auth', ErrorCodes.AUTH_MECHANISM_UNSUPPORTED) },
        { target: 'auth', actions: 'beginAuth' },
      ],
    },
    starttls: {
      entry: arms('command'),
      on: {
        'timer.expired': timeout('starttls'),
        ...losses('starttls'),
        'reply.received': [
          { guard: 'goAheadWithBytesBehind', ...endWith('starttls', ErrorCodes.STARTTLS_INJECTION) },
          {
            guard: { type: 'replyIs', params: { code: 220 } },
            target: 'tlsHandshake',
            actions: 'upgradeTls',
          },
          // A refusal with bytes behind it: no TLS to inject into, but nothing else was asked.
          unasked('starttls', 'one'),
          closing('starttls'),
          // Nothing changed on the connection: the plaintext EHLO's capabilities still hold.
          { guard: 'startTlsRefusedOptional', target: 'ready' },
          refusedInStep('starttls'),
          unexpected('starttls'),
        ],
      },
    },
    tlsHandshake: {
      entry: arms('command'),
      on: {
        'timer.expired': timeout('tls'),
        ...losses('tls'),
        'tls.established': { target: 'ehloAfterTls', actions: ['tlsUp', 'writeEhlo'] },
        'tls.failed': { target: '#session.failed', actions: 'tlsFailed' },
        'reply.received': [closing('tls'), unexpected('tls')],
      },
    },
    ehloAfterTls: {
      entry: arms('command'),
      on: {
        'timer.expired': timeout('ehlo'),
        ...losses('ehlo'),
        'reply.received': [
          closing('ehlo'),
          unasked('ehlo', 'one'),
          {
            guard: { type: 'replyClass', params: { class: 2 } },
            target: 'negotiate',
            actions: 'learnCapabilities',
          },
          refusedInStep('ehlo'),
          unexpected('ehlo'),
        ],
      },
    },
    auth: {
      entry: arms('command'),
      on: {
        'timer.expired': timeout('auth'),
        ...losses('auth'),
        'reply.received': [
          closing('auth'),
          unasked('auth', 'one'),
          { guard: { type: 'replyIs', params: { code: 235 } }, target: 'ready', actions: 'authDone' },
          { guard: 'challengeLimitReached', ...endWith('auth', ErrorCodes.AUTH_CHALLENGE_LIMIT) },
          {
            guard: { type: 'replyIs', params: { code: 334 } },
            target: 'auth',
            reenter: true,
            actions: 'answerChallenge',
          },
          refusedInStep('auth'),
          unexpected('auth'),
        ],
      },
    },
    ready: {
      entry: 'disarm',
      on: {
        ...losses('ready'),
        'send.requested': [
          { guard: 'precheckFails', actions: 'refuseSend' },
          { target: 'mail', actions: ['beginTransaction', 'writeEnvelope'] },
        ],
        'quit.requested': { target: 'quit', actions: 'writeQuit' },
        // Unasked, but a refusal still says why the server ends the session (SES's idle
        // `451 4.4.2 Timeout waiting for data from client`): read through the profile's table.
        'reply.received': [closing('ready'), refused('ready'), unexpected('ready')],
      },
    },
    ...transactionStates,
    quit: {
      entry: arms('command'),
      on: {
        'timer.expired': timeout('quit'),
        ...losses('quit'),
        'connection.closed': '#session.closed',
        'quit.requested': {},
        'reply.received': '#session.closed',
      },
    },
    closed: { type: 'final', entry: 'endSession' },
    failed: { type: 'final', entry: 'endSession' },
  },
});

/** What the session waits for, as the error `Phase` (the facade's `phase`). */
export const PHASE_OF_STATE: Readonly<Record<string, Phase>> = {
  connecting: 'connect',
  greeting: 'greeting',
  ehlo: 'ehlo',
  helo: 'helo',
  negotiate: 'ehlo',
  starttls: 'starttls',
  tlsHandshake: 'tls',
  ehloAfterTls: 'ehlo',
  auth: 'auth',
  ready: 'ready',
  mail: 'mail',
  rcpt: 'rcpt',
  data: 'data',
  body: 'body',
  dataEnd: 'data-end',
  loneDot: 'data-end',
  bdat: 'body',
  bdatEnd: 'data-end',
  closingBehindChunk: 'data-end',
  rset: 'rset',
  quit: 'quit',
  closed: 'closed',
  failed: 'closed',
};
