/**
 * The transaction states of the session machine (RFC 5321 §3.3 MAIL/RCPT/DATA, §4.1.1.4; RFC 2920
 * §3.1 pipelining, the next transaction and the single dot after a 354 to a refused envelope; RFC
 * 3030 BDAT), as one table; see session-machine.ts.
 */

import {
  abortable,
  arms,
  bodyAlongside,
  closing,
  closingWithChunkOut,
  group,
  holdNext,
  losses,
  refused,
  refusedInStep,
  settled,
  timeout,
  unasked,
  unexpected,
} from './machine-transitions.js';

export const transactionStates = {
  mail: {
    entry: arms('command'),
    on: {
      'timer.expired': timeout('mail'),
      ...losses('mail'),
      ...bodyAlongside,
      'send.requested': holdNext(),
      'send.aborted': abortable('mail'),
      'replies.received': group('mail'),
      'reply.received': [
        closingWithChunkOut('mail'),
        closing('mail'),
        unasked('mail', 'lockStep'),
        { guard: { type: 'replyClass', params: { class: 3 } }, ...unexpected('mail') },
        { guard: 'pipelined', target: 'rcpt', actions: 'recordMail' },
        { guard: { type: 'replyClass', params: { class: 2 } }, target: 'rcpt', actions: 'writeRcpt' },
        { target: 'rset', actions: ['recordMail', 'writeRset'] },
      ],
    },
  },
  rcpt: {
    entry: arms('command'),
    on: {
      'timer.expired': timeout('rcpt'),
      ...losses('rcpt'),
      ...bodyAlongside,
      'send.requested': holdNext(),
      'send.aborted': abortable('rcpt'),
      'replies.received': group('rcpt'),
      'reply.received': [
        closingWithChunkOut('rcpt'),
        closing('rcpt'),
        unasked('rcpt', 'lockStep'),
        { guard: { type: 'replyClass', params: { class: 3 } }, ...unexpected('rcpt') },
        { guard: 'moreRecipientsPipelined', target: 'rcpt', reenter: true, actions: 'recordRecipient' },
        {
          guard: 'moreRecipients',
          target: 'rcpt',
          reenter: true,
          actions: ['recordRecipient', 'writeRcpt'],
        },
        // The chunk that rode with the envelope (RFC 3030 §4.2): its reply comes next, once all of it is
        // out. While the transport still writes it, nothing else may go (it would land inside the chunk).
        { guard: 'chunkWritten', target: 'bdatEnd', actions: 'recordLastRecipient' },
        { guard: 'chunkBeingWritten', target: 'bdat', actions: 'recordLastRecipient' },
        { guard: 'dataPipelined', target: 'data', actions: 'recordLastRecipient' },
        { guard: 'chunkingWillGoAhead', target: 'bdat', actions: ['recordLastRecipient', 'startChunking'] },
        { guard: 'envelopeWillBeAccepted', target: 'data', actions: ['recordLastRecipient', 'writeData'] },
        { target: 'rset', actions: ['recordLastRecipient', 'writeRset'] },
      ],
    },
  },
  data: {
    entry: arms('dataStart'),
    on: {
      'timer.expired': timeout('data'),
      ...losses('data'),
      'send.requested': holdNext(),
      'send.aborted': abortable('data'),
      'reply.received': [
        closing('data'),
        unasked('data', 'one'),
        // RFC 2920 §3.1: DATA accepted although the envelope was not: a single dot, no body.
        { guard: 'goAheadAfterRefusedEnvelope', target: 'loneDot', actions: 'writeLoneDot' },
        {
          guard: 'goAheadInline',
          target: 'dataEnd',
          actions: 'writeBodyInline',
        },
        { guard: { type: 'replyIs', params: { code: 354 } }, target: 'body', actions: 'writeBody' },
        {
          guard: 'refusal',
          target: 'rset',
          actions: [{ type: 'refuseTransaction', params: { phase: 'data' } }, 'writeRset'],
        },
        unexpected('data'),
      ],
    },
  },
  body: {
    entry: arms('dataBlock'),
    on: {
      'timer.expired': timeout('body'),
      ...losses('body'),
      'send.requested': holdNext(),
      'send.aborted': abortable('body'),
      'body.progress': { target: 'body', reenter: true },
      'body.finished': [
        { guard: 'hasNext', target: 'dataEnd', actions: ['bodyWritten', 'writeNextEnvelope'] },
        { target: 'dataEnd', actions: 'bodyWritten' },
      ],
      'body.failed': { target: '#session.failed', actions: 'localFailure' },
      'reply.received': [closing('body'), refused('body'), unexpected('body')],
    },
  },
  dataEnd: {
    entry: arms('dataTermination'),
    on: {
      'timer.expired': timeout('data-end', 'unknown'),
      ...losses('data-end', 'unknown'),
      'send.requested': holdNext(true),
      'send.aborted': abortable('data-end', 'unknown'),
      'replies.received': group('dataEnd'),
      // Only an inline body (written with the transition into dataEnd) can fail here: nothing of it went out.
      'body.failed': { target: '#session.failed', actions: 'localFailure' },
      'reply.received': [
        closing('data-end'),
        unasked('data-end', 'dot', 'unknown'),
        ...settled('positive', ['delivered']),
        ...settled('refusal', [
          { type: 'refuseTransaction', params: { phase: 'data-end' } },
          'settleRefusal',
        ]),
        unexpected('data-end', 'unknown'),
      ],
    },
  },
  /** The single dot after a 354 to a refused envelope: whatever its reply, the refusal stands. */
  loneDot: {
    entry: arms('dataTermination'),
    on: {
      'timer.expired': timeout('data-end'),
      ...losses('data-end'),
      'send.requested': holdNext(),
      'send.aborted': abortable('data-end'),
      'reply.received': [
        closing('data-end'),
        unasked('data-end', 'dot'),
        { guard: { type: 'replyClass', params: { class: 3 } }, ...unexpected('data-end') },
        ...settled('any', ['settleRefusal']),
      ],
    },
  },
  bdat: {
    entry: arms('dataBlock'),
    on: {
      'timer.expired': timeout('body'),
      ...losses('body'),
      'send.requested': holdNext(),
      'send.aborted': abortable('body'),
      'body.progress': { target: 'bdat', reenter: true },
      'body.chunk': { target: 'bdat', reenter: true, actions: 'writeChunk' },
      'body.finished': { target: 'bdatEnd', actions: 'bodyWritten' },
      'body.failed': { target: '#session.failed', actions: 'localFailure' },
      'reply.received': [
        closing('body'),
        unasked('body', 'chunk'),
        { guard: 'chunkAccepted', actions: { type: 'recordChunk', params: { phase: 'body' } } },
        refused('body'),
        unexpected('body'),
      ],
    },
  },
  bdatEnd: {
    entry: arms('dataTermination'),
    on: {
      'timer.expired': timeout('data-end', 'unknown'),
      ...losses('data-end', 'unknown'),
      'send.requested': holdNext(),
      'send.aborted': abortable('data-end', 'unknown'),
      'reply.received': [
        closing('data-end'),
        unasked('data-end', 'chunk', 'unknown'),
        { guard: { type: 'replyClass', params: { class: 3 } }, ...unexpected('data-end', 'unknown') },
        { guard: 'moreChunkReplies', actions: { type: 'recordChunk', params: { phase: 'data-end' } } },
        // A LAST chunk rode behind an envelope the server then refused, yet it says 2xx to the chunk:
        // the two contradict each other, and the message may have been taken ('unknown', close).
        { guard: 'acceptedAfterRefusal', target: '#session.failed', actions: 'acceptedAfterRefusal' },
        { guard: 'failedBefore', target: 'rset', actions: 'writeRset' },
        ...settled('positive', ['delivered']),
        ...settled('any', [{ type: 'refuseTransaction', params: { phase: 'data-end' } }, 'settleRefusal']),
      ],
    },
  },
  /**
   * The server answered the envelope 421 after the LAST chunk that rode with it was written. Replies
   * come in command order, so a server that keeps its word (RFC 5321 §3.8: 421, then close) did not
   * take the chunk: its close settles the send with the 421, not-sent — a reset too (the usual end of
   * a server that stopped reading, our chunk unread) — and so does a refusal of the chunk itself (the
   * last reply owed). A 2xx to the chunk (taken after all) is 'unknown', and so is whatever else ends
   * the wait: a close that cuts a reply short, a 1xx/3xx in the chunk's place, a timeout, a malformed
   * reply, an abort, quit() or drop(). Replies to the RCPTs behind the 421 only count down to the
   * chunk's.
   */
  closingBehindChunk: {
    entry: arms('command'),
    on: {
      ...losses('data-end', 'unknown'),
      'connection.closed': [
        {
          guard: 'closedMidReply',
          target: '#session.failed',
          actions: { type: 'lost', params: { phase: 'data-end', outcome: 'unknown' } },
        },
        { target: '#session.failed' },
      ],
      'timer.expired': timeout('data-end', 'unknown'),
      'send.aborted': abortable('data-end', 'unknown'),
      'reply.received': [
        { guard: 'chunkReplyAccepted', target: '#session.failed', actions: 'acceptedAfterRefusal' },
        { guard: 'chunkReplyRefused', target: '#session.failed' },
        // A 1xx or 3xx where the chunk's reply is due: out of step, as in bdatEnd.
        { guard: 'chunkReplyDue', ...unexpected('data-end', 'unknown') },
        { actions: 'owedOneLess' },
      ],
    },
  },
  rset: {
    entry: arms('command'),
    on: {
      'timer.expired': timeout('rset'),
      ...losses('rset'),
      'send.requested': holdNext(),
      'send.aborted': { guard: 'abortsNext', actions: 'abortNext' },
      'reply.received': [
        closing('rset'),
        unasked('rset', 'one'),
        ...settled('positive', ['settleRefusal']),
        refusedInStep('rset'),
        unexpected('rset'),
      ],
    },
  },
} as const;
