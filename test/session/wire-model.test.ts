/**
 * Seeded random interleavings against a simulated server that parses the wire the Session writes
 * (commands, bodies, BDAT chunks; with and without PIPELINING and CHUNKING; small, large and
 * streamed bodies; aborts, losses, 421s, timeouts and quits between the replies, which come one or
 * several per read). Invariants: nothing is written inside a body or after a DATA before its reply;
 * every send settles; outcomes agree with what the server got — ok only after a 2xx to the body's
 * end reached the client, and never 'not-sent' or 'rejected' when the server holds a whole body it
 * answered 2xx (threats.md §7: "may have been delivered" is 'unknown'). SEEDS=n runs more seeds.
 * It caught the riding BDAT chunk that got a second BDAT inside it (chunkBeingWritten) on seed 1.
 */
import { expect, test } from 'vitest';
import type { SmtpError } from '../../src/errors/smtp-error.js';
import type { SessionEffect } from '../../src/session/types.js';
import { flush, Harness } from './harness.js';

function rng(seed: number) {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 4294967296;
  };
}

interface ServerTx {
  from: string;
  mailOk: boolean;
  rcptOk: number;
  dataOk: boolean;
  bodyEnd: boolean;
  finalCode?: number;
  finalDelivered: boolean;
  /** Ended by a single dot after a 354 to an envelope with no accepted recipient (RFC 2920 §3.1). */
  empty?: boolean;
}

type Settled = { ok: true } | { ok: false; error: SmtpError } | undefined;

async function run(seed: number, log: string[]): Promise<string | undefined> {
  const r = rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const caps = ['mx.example', '8BITMIME'];
  if (r() < 0.8) caps.push('PIPELINING');
  if (r() < 0.6) caps.push('CHUNKING');
  const owner = { send: undefined as undefined | (() => void) };
  const eager = r() < 0.5;
  const h = new Harness({
    onSendable: () => {
      if (eager && r() < 0.7) owner.send?.();
    },
    timeouts: { command: 1000, dataStart: 1000, dataBlock: 1000, dataTermination: 1000, greeting: 1000 },
  });
  h.connect();
  h.server(caps.map((c, i) => `250${i < caps.length - 1 ? '-' : ' '}${c}`).join('\n'));
  log.push(`caps ${caps.join(',')}`);
  if (h.session.state !== 'ready') return 'not ready';

  // server
  let cursor = h.effects.length;
  const replies: { text: string; tx?: ServerTx; final?: boolean }[] = [];
  const txs: ServerTx[] = [];
  let cur: ServerTx | undefined;
  let mode = 'cmd' as 'cmd' | 'dataWait' | 'dataBody' | 'bdatWait' | 'bdatBody';
  let chunkFailed = false;
  let closed = false;
  let violation: string | undefined;
  const sends: { from: string; box: { result: Settled }; ctl: AbortController }[] = [];
  let bodyActive: { stream: boolean; transfer: string } | undefined;
  let chunksLeft = 0;

  const bodyEnd = () => {
    if (!cur) return;
    const deliverable = cur.mailOk && cur.rcptOk > 0 && (cur.dataOk || mode === 'bdatBody') && !chunkFailed;
    cur.bodyEnd = true;
    // A server may even say 250 to an empty message without recipients: nothing is delivered.
    const code = deliverable ? pick([250, 250, 250, 550, 451]) : cur.empty ? pick([554, 250]) : 554;
    cur.finalCode = code;
    replies.push({ text: `${code} final ${cur.from}`, tx: cur, final: true });
    mode = 'cmd';
  };
  const processLine = (line: string) => {
    if (mode === 'dataBody' || mode === 'bdatBody') {
      violation ??= `command "${line}" written inside a body (${mode})`;
      return;
    }
    if (mode === 'dataWait') {
      // RFC 2920 §3.1: a 354 to an envelope with nothing accepted is answered with a single dot.
      if (line === '.' && cur !== undefined && !(cur.mailOk && cur.rcptOk > 0)) {
        cur.empty = true;
        bodyEnd();
        return;
      }
      violation ??= `command "${line}" written after DATA before its reply`;
    }
    const verb = line.split(' ')[0];
    if (verb === 'MAIL') {
      const from = /<([^>]*)>/.exec(line)![1]!;
      chunkFailed = false;
      cur = { from, mailOk: r() < 0.85, rcptOk: 0, dataOk: false, bodyEnd: false, finalDelivered: false };
      txs.push(cur);
      replies.push({ text: cur.mailOk ? '250 ok' : pick(['550 no', '451 later']) });
    } else if (verb === 'RCPT') {
      const ok = r() < 0.75 && cur?.mailOk === true;
      if (ok && cur) cur.rcptOk++;
      replies.push({ text: ok ? '250 ok' : pick(['550 no', '450 later']) });
    } else if (verb === 'DATA') {
      const ok = cur?.mailOk && cur.rcptOk > 0 ? r() < 0.9 : r() < 0.2;
      if (cur) cur.dataOk = ok;
      replies.push({ text: ok ? '354 go' : '554 no valid recipients' });
      if (ok) mode = 'dataWait';
    } else if (verb === 'BDAT') {
      mode = 'bdatBody';
    } else if (verb === 'RSET') {
      cur = undefined;
      replies.push({ text: '250 reset' });
    } else if (verb === 'QUIT') {
      replies.push({ text: '221 bye' });
    } else violation ??= `unknown command ${line}`;
  };
  const drain = () => {
    while (cursor < h.effects.length) {
      const e: SessionEffect = h.effects[cursor++]!;
      if (closed) {
        violation ??= `effect after close: ${e.type}`;
        continue;
      }
      if (e.type === 'write') {
        const text = new TextDecoder().decode(e.bytes);
        log.push(`C: ${JSON.stringify(text)}`);
        for (const line of text.split('\r\n').slice(0, -1)) processLine(line);
      } else if (e.type === 'writeBody') {
        log.push(`C: body inline=${e.inline} transfer=${e.transfer}`);
        if (mode === 'dataWait') {
          // The client may only write the body once it has the 354: it has it if no reply before it is pending.
          mode = 'dataBody';
        }
        const streamBdat = (e.body as { stream: boolean }).stream && e.transfer === 'bdat';
        if (!streamBdat && mode !== 'dataBody' && mode !== 'bdatBody')
          violation ??= `body written in mode ${mode}`;
        if (mode === 'dataBody' && e.transfer !== 'data') violation ??= 'bdat body after DATA';
        if (mode === 'bdatBody' && e.transfer !== 'bdat') violation ??= 'data body after BDAT';
        const stream = (e.body as { stream: boolean }).stream;
        if (e.inline) bodyEnd();
        else {
          bodyActive = { stream, transfer: e.transfer };
          chunksLeft = 1 + Math.floor(r() * 3);
          if (stream && e.transfer === 'bdat') mode = 'cmd'; // chunks announce themselves
        }
      } else if (e.type === 'close') {
        log.push('C: close');
        closed = true;
        bodyActive = undefined;
      }
    }
  };

  let id = 0;
  const doSend = () => {
    if (sends.length >= 6) return;
    const kind = pick(['small', 'large', 'stream'] as const);
    const from = `s${++id}@example.com`;
    const to = Array.from({ length: 1 + Math.floor(r() * 2) }, (_v, i) => `r${i}@example.org`);
    const request =
      kind === 'small'
        ? { size: 13, unstuffedSize: 10, eightBit: false }
        : kind === 'large'
          ? { size: 100_003, unstuffedSize: 100_000, eightBit: false }
          : {};
    const ctl = new AbortController();
    log.push(`A: send ${from} ${kind} (state ${h.session.state})`);
    const box = h.send({ from, to, body: { stream: kind === 'stream' }, ...request }, ctl.signal);
    sends.push({ from, box, ctl });
  };
  owner.send = doSend;
  for (let step = 0; step < 60 && !closed; step++) {
    drain();
    if (violation) break;
    const choices: string[] = ['reply', 'reply', 'reply'];
    if (bodyActive) choices.push('body', 'body', 'body');
    if (h.session.acceptsSend && sends.length < 6) choices.push('send', 'send');
    if (r() < 0.1) choices.push('abort');
    if (r() < 0.04) choices.push('close');
    if (r() < 0.03) choices.push('r421');
    if (r() < 0.03) choices.push('timer');
    if (r() < 0.03) choices.push('quit');
    const c = pick(choices);
    if (c === 'reply') {
      if (replies.length === 0) continue;
      const n = 1 + Math.floor(r() * Math.min(4, replies.length));
      const taken = replies.splice(0, n);
      log.push(`S: ${taken.map((t) => t.text).join(' | ')}`);
      for (const t of taken) if (t.final && t.tx) t.tx.finalDelivered = true;
      h.server(taken.map((t) => t.text).join('\n'));
    } else if (c === 'body') {
      if (!bodyActive) continue;
      if (bodyActive.stream && bodyActive.transfer === 'bdat') {
        chunksLeft--;
        const last = chunksLeft <= 0;
        log.push(`T: chunk last=${last}`);
        h.session.bodyChunk(10, last);
        drain();
        // chunk data follows its command
        if (mode !== 'bdatBody') violation ??= `chunk data without BDAT (mode ${mode})`;
        if (last) {
          bodyEnd();
          bodyActive = undefined;
          h.session.bodyFinished();
        } else {
          const ok = !chunkFailed && r() < 0.9;
          if (!ok) chunkFailed = true;
          replies.push({ text: ok ? '250 chunk ok' : '554 chunk refused' });
          mode = 'cmd';
        }
      } else if (r() < 0.3) {
        log.push('T: progress');
        h.session.bodyProgress();
      } else {
        log.push('T: body finished');
        if (mode === 'dataBody' || mode === 'bdatBody') bodyEnd();
        else violation ??= `body finished in mode ${mode}`;
        bodyActive = undefined;
        h.session.bodyFinished();
      }
    } else if (c === 'send') {
      doSend();
    } else if (c === 'abort') {
      const s = pick(sends.length ? sends : [undefined]);
      if (s) {
        log.push(`A: abort ${s.from}`);
        s.ctl.abort();
      }
    } else if (c === 'r421') {
      drain();
      log.push('S: 421 closing');
      // The 421 answers the first pending command; the server processes nothing after it.
      for (const pending of replies.splice(0)) if (pending.final && pending.tx) pending.tx.finalCode = 421;
      h.server('421 closing');
      drain();
      // The server closes after its 421: the session's own close may answer that close (a 421 behind
      // a LAST chunk already written waits for it: bdat-421-behind-chunk.test.ts).
      h.session.closed();
      drain();
      closed = true;
    } else if (c === 'close') {
      drain();
      log.push('T: connection closed');
      h.session.closed();
      drain();
      closed = true;
    } else if (c === 'timer') {
      log.push('T: timer');
      h.clock.increment(5000);
    } else if (c === 'quit') {
      log.push('A: quit');
      void h.session.quit();
    }
    await flush();
  }
  drain();
  if (!closed) {
    h.session.closed();
    drain();
    closed = true;
  }
  await flush();
  await flush();
  if (violation) return violation;
  for (const s of sends) {
    const result = s.box.result;
    if (result === undefined) return `${s.from} never settled`;
    const tx = txs.find((t) => t.from === s.from);
    if (result.ok) {
      if (!tx?.bodyEnd || tx.empty || tx.finalCode === undefined || tx.finalCode >= 300 || !tx.finalDelivered)
        return `${s.from} ok without a delivered 2xx to its body end`;
      continue;
    }
    const { outcome, phase, code } = result.error;
    const deliverable = tx?.bodyEnd && !tx.empty && tx.finalCode !== undefined && tx.finalCode < 300;
    if (deliverable && outcome !== 'unknown')
      return `${s.from}: server got its whole body and answered ${tx!.finalCode} (delivered=${tx!.finalDelivered}), client says ${code}/${outcome}/${phase}`;
  }
  return undefined;
}

test('random interleavings against a wire-level server model', async () => {
  const N = Number(process.env.SEEDS ?? 2000);
  const failures: string[] = [];
  for (let seed = 1; seed <= N && failures.length < 3; seed++) {
    const log: string[] = [];
    const problem = await run(seed, log);
    if (problem) failures.push(`seed ${seed}: ${problem}\n  ${log.join('\n  ')}`);
  }
  expect(failures).toEqual([]);
}, 600_000);
