/**
 * What the whole-session fuzz (session.fuzz.test.ts) generates: the fuzz server's script of faults,
 * the capabilities it offers before and after TLS (RFC 3207 §4.2: the post-TLS EHLO may differ), how
 * each connection's STARTTLS goes, and the client's messages, options and security mode.
 */
import fc from 'fast-check';
import type { Security } from '../../src/session/types.js';

export type Action =
  | { readonly kind: 'default' }
  | { readonly kind: 'reply'; readonly text: string; readonly pieces: number }
  | { readonly kind: 'silent' }
  | { readonly kind: 'close' }
  | { readonly kind: 'flood' }
  | { readonly kind: 'garbage'; readonly bytes: Uint8Array };

/**
 * How one connection's STARTTLS goes (RFC 3207). `upgrade`: 220, then a real TLS handshake.
 * `refuse-454`/`refuse-502`: offered, then refused (§4: 454 "TLS not available due to temporary
 * reason"; 502 not implemented). `inject-*`: bytes behind the 220 in the same write, then no TLS
 * (threats.md §1). `handshake-*`: a 220, then the handshake fails (plaintext answer, close,
 * silence, a certificate the client does not trust). `not-offered`: no STARTTLS keyword.
 */
export type TlsBehaviour =
  | 'upgrade'
  | 'refuse-454'
  | 'refuse-502'
  | 'not-offered'
  | 'inject-lines'
  | 'inject-fragment'
  | 'handshake-plaintext'
  | 'handshake-close'
  | 'handshake-silent'
  | 'handshake-untrusted';

/** EHLO keywords the fuzz server may offer (each on its own line). */
export interface Offer {
  readonly pipelining: boolean;
  readonly chunking: boolean;
  readonly binaryMime: boolean;
  readonly eightBitMime: boolean;
  readonly size: boolean;
  readonly auth: boolean;
  /** STARTTLS again after TLS (RFC 3207 §4.2: the client must not use it once TLS is up). */
  readonly startTls: boolean;
}

export interface Message {
  readonly message: string | Uint8Array;
  /** Sent as `binary: true`: BODY=BINARYMIME over BDAT (RFC 3030 §3). */
  readonly binary: boolean;
}

const codeArb = fc.constantFrom(
  220,
  221,
  235,
  250,
  251,
  334,
  354,
  421,
  450,
  452,
  454,
  500,
  502,
  503,
  530,
  535,
  550,
  552,
  554,
  555,
);
const replyArb = fc
  .tuple(
    fc.array(codeArb, { minLength: 1, maxLength: 3 }),
    fc.constantFrom(
      'OK',
      '2.0.0 fine',
      'PIPELINING',
      '8BITMIME',
      'AUTH PLAIN LOGIN',
      'SIZE 50',
      'STARTTLS',
      'CHUNKING',
      'BINARYMIME',
      '',
    ),
  )
  .map(([codes, text]) =>
    codes.map((code, i) => `${codes[0] ?? code}${i < codes.length - 1 ? '-' : ' '}${text}\r\n`).join(''),
  );

const faultArb: fc.Arbitrary<Action> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('reply' as const),
      text: replyArb,
      pieces: fc.integer({ min: 1, max: 4 }),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'silent' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'close' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'flood' as const }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('garbage' as const),
      bytes: fc.uint8Array({ minLength: 1, maxLength: 20 }),
    }),
  },
);

/** Mostly happy sessions with a few faults at random points (sparse, so sessions get deep). */
const actionsArb: fc.Arbitrary<Action[]> = fc
  .array(fc.tuple(fc.nat(29), faultArb), { maxLength: 3 })
  .map((faults) => {
    const actions: Action[] = Array.from({ length: 30 }, () => ({ kind: 'default' }));
    for (const [at, fault] of faults) actions[at] = fault;
    return actions;
  });

/** True three times in four: offers are mostly generous, so that sessions get deep. */
const likely = fc.nat(3).map((n) => n > 0);
const rarely = fc.nat(9).map((n) => n === 0);

const offerArb = (startTls: fc.Arbitrary<boolean>): fc.Arbitrary<Offer> =>
  fc.record({
    pipelining: likely,
    chunking: likely,
    binaryMime: likely,
    eightBitMime: likely,
    size: likely,
    auth: likely,
    startTls,
  });

const tlsBehaviourArb: fc.Arbitrary<TlsBehaviour> = fc.oneof(
  { weight: 6, arbitrary: fc.constant('upgrade' as const) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      'refuse-454' as const,
      'refuse-502' as const,
      'not-offered' as const,
      'inject-lines' as const,
      'inject-fragment' as const,
      'handshake-plaintext' as const,
      'handshake-close' as const,
      'handshake-silent' as const,
      'handshake-untrusted' as const,
    ),
  },
);

/** Octets DATA could not carry unchanged: NUL, bare CR and LF, 0xFF, a "." line, a fake command. */
const BINARY_BODIES: readonly Uint8Array[] = [
  Uint8Array.from([0x00, 0x0a, 0x0d, 0xff, 0x0d, 0x0a, 0x2e, 0x0d, 0x0a]),
  new TextEncoder().encode('bin\0ary\r\n.\r\nMAIL FROM:<x@example.com>\r\n'),
  Uint8Array.from({ length: 300 }, (_v, i) => (i * 7) % 256),
];

const messageArb: fc.Arbitrary<Message> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc
      .constantFrom('hello\r\n', '.dot\r\n', 'caf\u00e9\r\n', 'a\nb\r\n.\r\n')
      .map((message) => ({ message, binary: false })),
  },
  { weight: 1, arbitrary: fc.constantFrom(...BINARY_BODIES).map((message) => ({ message, binary: true })) },
);

export const scenarioArb = fc.record({
  actions: actionsArb,
  messages: fc.array(messageArb, {
    minLength: 1,
    // Three or more let the third be handed over with the read that settles the first (session.ts #offerGroup).
    maxLength: 5,
  }),
  recipients: fc.integer({ min: 1, max: 3 }),
  withAuth: fc.boolean(),
  pipelining: fc.boolean(),
  /** The client's `chunking` option (false: no BDAT, so no binary body either). */
  chunking: likely,
  closeEarly: fc.boolean(),
  /** Replies to everything in one read go out as one write, so the client reads pipelined groups whole. */
  batchReplies: fc.boolean(),
  security: fc.constantFrom<Security>('none', 'starttls', 'starttls-opportunistic'),
  /** What the server offers in plaintext (STARTTLS comes from `tls`). */
  offer: offerArb(fc.constant(false)),
  /** What it offers after TLS: unrelated to the plaintext offer. */
  offerAfterTls: offerArb(rarely),
  /** How STARTTLS goes on each connection in turn (the client reconnects after a failure). */
  tls: fc.array(tlsBehaviourArb, { minLength: 1, maxLength: 3 }),
  /** A logger: the session keeps a transcript (its own code paths), and the test sees each command. */
  transcript: fc.boolean(),
  /** MAIL ... BODY=BINARYMIME answered 555 (RFC 5321 §4.2.3: parameter not implemented). */
  refuseBinary: rarely,
  /** Through a pool of one connection (no retries) rather than one createClient. */
  viaPool: fc.boolean(),
});

export type Scenario = typeof scenarioArb extends fc.Arbitrary<infer S> ? S : never;
