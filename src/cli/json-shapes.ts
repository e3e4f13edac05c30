/**
 * The `--json` output of every subcommand, as data: rendered into each command's --help, and the
 * same tables are what the CLI tests hold the real output to (no undocumented or missing fields).
 */

/** Value types: one or more of these joined with '|'; `object[]`/`object` use `fields`, `record` maps any key. */
export type JsonType =
  | 'string'
  | 'number'
  | 'boolean'
  | 'null'
  | 'object'
  | 'object[]'
  | 'string[]'
  | 'record'
  | 'any'
  | `${string}|${string}`;

export interface JsonField {
  readonly name: string;
  readonly type: JsonType;
  readonly doc: string;
  /** Present only in some outputs. */
  readonly optional?: boolean;
  readonly fields?: readonly JsonField[];
}

export interface JsonShape {
  /** Default 'JSON (--json)'. */
  readonly heading?: string;
  /** What the document is, e.g. 'one JSON object on stdout'. */
  readonly title: string;
  readonly fields: readonly JsonField[];
  /** Help shows only these fields and the note (the rest is documented in another shape of the same help). */
  readonly brief?: { readonly fields: readonly JsonField[]; readonly note: string };
}

const f = (name: string, type: JsonType, doc: string, fields?: readonly JsonField[]): JsonField => ({
  name,
  type,
  doc,
  ...(fields === undefined ? {} : { fields }),
});
const opt = (name: string, type: JsonType, doc: string, fields?: readonly JsonField[]): JsonField => ({
  ...f(name, type, doc, fields),
  optional: true,
});

const REPLY = [
  f('code', 'number', 'SMTP reply code'),
  f('text', 'string', 'reply text (lines joined by \\n)'),
];

/** One message's outcome (send, each --batch line, each demo result). */
export const DELIVERY_RESULT_FIELDS: readonly JsonField[] = [
  f('status', 'string', 'delivered | rejected | failed | unknown (unknown: may have been delivered)'),
  f('exitCode', 'number', 'this message alone: 0, 69 rejected, 75 temporary, 78 configuration, ...'),
  f('attempts', 'number', 'transactions tried (free reconnects after 421/idle close count too)'),
  f('ms', 'number', 'from the first attempt to the outcome'),
  opt('messageId', 'string', "the server's id (SES: the text after 250 Ok)"),
  opt('reply', 'object', 'the final reply: to the dot, or the refusal', REPLY),
  opt('accepted', 'string[]', 'recipients that got the message'),
  opt(
    'rejectedRecipients',
    'object[]',
    'recipients that did not (refused, or left over when retries stopped)',
    [
      f('recipient', 'string', 'the address'),
      opt('code', 'number', 'reply code, when the server gave one'),
      opt('text', 'string', 'reply text'),
      f('errorCode', 'string', 'stable SMTP_* code of this refusal, e.g. SMTP_RECIPIENT_REJECTED'),
      f('outcome', 'string', 'rejected | not-sent | unknown'),
    ],
  ),
  opt('error', 'object', 'why it was not delivered', [
    f('code', 'string', 'stable SMTP_* code'),
    f('message', 'string', 'what happened'),
    opt('phase', 'string', 'SMTP phase: connect, greeting, tls, auth, mail, rcpt, data-end, ...'),
    opt('rule', 'string', 'reply table row, e.g. ses.554.not-verified'),
  ]),
  f('retries', 'record', 'attempts followed by another, by the code they failed with'),
  f('history', 'object[]', "the delivery pool's attempts, in order", [
    f('atMs', 'number', 'ms after the first attempt started'),
    f('connection', 'string', 'connection id'),
    f('delayBeforeMs', 'number', 'retry wait before this attempt'),
    f('recipients', 'string[]', 'envelope recipients of this attempt'),
    opt('reply', 'object', 'reply to the final dot or the refusal', REPLY),
    opt('accepted', 'string[]', 'recipients taken in this attempt'),
    opt('messageId', 'string', 'id given in this attempt'),
    opt('error', 'object', 'why this attempt failed', [
      f('code', 'string', 'stable SMTP_* code'),
      f('outcome', 'string', 'not-sent | rejected | unknown'),
      opt('phase', 'string', 'SMTP phase'),
    ]),
  ]),
];

/** What any subcommand prints with --json when it fails before producing its result. */
export const FAILURE_SHAPE: JsonShape = {
  title: 'instead, on a usage, input or setup error',
  fields: [
    f('ok', 'boolean', 'false'),
    f('error', 'object', '{name, message, code?, ...}: what went wrong (never a secret)'),
    f('hints', 'string[]', 'what to do about it'),
  ],
};

export const SEND_JSON: JsonShape = {
  title: 'one message: one JSON object on stdout',
  fields: [
    f('ok', 'boolean', 'true when delivered to every recipient (exit status 0)'),
    ...DELIVERY_RESULT_FIELDS,
    f('hints', 'string[]', 'advice for a failure (SES table, TLS-mode mix-up → `check`)'),
  ],
};

const SEND_SUMMARY: readonly JsonField[] = [
  f('total', 'number', 'messages sent (valid lines)'),
  f('delivered', 'number', ''),
  f(
    'partlyDelivered',
    'number',
    "of the delivered, those some recipient did not get (each line's rejectedRecipients)",
  ),
  f('rejected', 'number', ''),
  f(
    'failed',
    'number',
    "not sent: temporary failures, or stopped (by credentials, quota…: see each line's exitCode)",
  ),
  f('unknown', 'number', 'outcome unknown'),
  f('invalid', 'number', 'lines that were not a message'),
  f('exitCode', 'number', 'the exit status of the run'),
  f('retries', 'number', 'retries the pool scheduled'),
  f('retriesByCause', 'record', 'by the pool cause: retry, slow-down, reconnect, reduce-connections, ...'),
  f('retriesByCode', 'record', 'by SMTP_* code, e.g. SMTP_THROTTLED'),
  f('throttled', 'number', 'times the send rate was lowered after throttling'),
  opt('rate', 'object', 'with --rate, or once the pool changed its rate (throttling): recipients/s', [
    f('start', 'number', 'configured'),
    f('end', 'number', 'at the end'),
    f('lowest', 'number', 'lowest reached'),
  ]),
  f('connections', 'object', 'connections of the pool', [
    f('opened', 'number', 'connections the pool opened (dialled: one that failed to connect counts too)'),
    f('recycled', 'record', 'replaced by the pool, by reason'),
    f('closed', 'record', 'closed, by reason (broken: the server ended it)'),
  ]),
  f('hints', 'string[]', "advice for the run's failures, each once (SES table, TLS-mode mix-up)"),
];

/** `send --batch`: JSON Lines whether or not --json is given; these are its three kinds of line. */
export const SEND_BATCH_JSON = {
  result: {
    heading: 'JSON Lines (--batch, with or without --json)',
    title: 'one line per message, in completion order',
    fields: [f('line', 'number', 'line number in the batch file'), ...DELIVERY_RESULT_FIELDS],
    brief: {
      fields: [f('line', 'number', 'line number in the batch file')],
      note: 'and the fields of the one-message object above, without ok and hints',
    },
  },
  invalid: {
    heading: 'JSON Lines (--batch)',
    title: 'a batch line that is not a message',
    fields: [
      f('line', 'number', 'line number'),
      f('status', 'string', 'invalid'),
      f('error', 'object', 'the problem', [
        f('message', 'string', 'what is wrong with the line'),
        opt('code', 'string', 'the SMTP_* code when the library refused it (e.g. the composer)'),
      ]),
    ],
  },
  summary: {
    heading: 'JSON Lines (--batch --json)',
    title: 'the last line',
    fields: [f('summary', 'object', 'the run', SEND_SUMMARY)],
  },
} as const satisfies Record<string, JsonShape>;

export const CHECK_JSON: JsonShape = {
  title: 'one JSON object on stdout',
  fields: [
    f('ok', 'boolean', 'true when every step passed'),
    f('exitCode', 'number', 'the exit status'),
    f('host', 'string', 'server checked'),
    f('port', 'number', ''),
    f('security', 'string', 'implicit | starttls | starttls-opportunistic | none'),
    f('steps', 'object[]', 'in order', [
      f(
        'step',
        'string',
        'dns, tcp, tls, tls-mode, greeting, ehlo, starttls, ehlo-tls, auth, quit, interrupted',
      ),
      f('status', 'string', 'pass | fail | warn | skip'),
      f('summary', 'string', 'what was seen'),
      opt('ms', 'number', 'how long the step took'),
      opt('details', 'string[]', 'e.g. the certificate'),
      f('advice', 'string[]', 'likely cause and fix of a failure'),
      opt('exitCode', 'number', 'exit status this failure means'),
    ]),
  ],
};

export const PASSWORD_JSON: JsonShape = {
  title: 'one JSON object on stdout',
  fields: [
    opt('user', 'string', 'AWS_ACCESS_KEY_ID, when set (the SMTP user name)'),
    f('region', 'string|null', 'null with --v2'),
    f('algorithm', 'string', 'v4 | v2'),
    f('password', 'string', 'the SMTP password'),
  ],
};

export const SIMULATE_JSON: JsonShape = {
  title: 'one JSON line on stdout once listening (then it runs until stopped)',
  fields: [
    f('host', 'string', '127.0.0.1'),
    f('starttlsPort', 'number', 'STARTTLS port (like 587)'),
    f('tlsPort', 'number', 'implicit-TLS port (like 465)'),
    f('region', 'string', ''),
    f('caFile', 'string', 'PEM file of the test CA (pass to --ca)'),
    f('user', 'string', 'example SMTP user (a generated access key id)'),
    f('pass', 'string', 'its SMTP password'),
    f('exampleSecretAccessKey', 'string', 'the fake secret the password derives from'),
    f('sandbox', 'boolean', ''),
    f('verifiedIdentities', 'string[]', ''),
  ],
};

export const DEMO_JSON: JsonShape = {
  title: 'one JSON object on stdout',
  fields: [
    f('ok', 'boolean', 'true when every outcome matched'),
    f('problems', 'string[]', 'outcomes that did not'),
    f('expected', 'object', '', [
      f('delivered', 'number', ''),
      f('rejected', 'number', '554 unverified sender'),
      f('tooLarge', 'number', 'refused before upload'),
    ]),
    f('results', 'object[]', 'per message, in order', [
      f('id', 'number', 'message number'),
      ...DELIVERY_RESULT_FIELDS,
    ]),
    f('seconds', 'number', 'duration'),
    f('pool', 'object', "the delivery pool's events, counted", [
      f('done', 'number', 'messages settled'),
      f('delivered', 'number', ''),
      f('retries', 'number', ''),
      f('retriesByCause', 'record', 'slow-down (454 throttling), reconnect (421 session cap), ...'),
      f('retriesByCode', 'record', 'by SMTP_* code'),
      f('rateLowered', 'number', 'times the send rate was halved'),
      opt('rate', 'object', 'recipients/s', [
        f('start', 'number', ''),
        f('current', 'number', ''),
        f('lowest', 'number', ''),
      ]),
      f('concurrencyLowered', 'number', 'times connections were reduced after 421'),
      f('connections', 'object', '', [
        f('opened', 'number', ''),
        f('recycled', 'record', 'by reason'),
        f('closed', 'record', 'by reason'),
      ]),
      f('stopped', 'string[]', 'why the pool stopped sending, if it did'),
    ]),
    f('server', 'object', "the simulator's counters", [
      f('accepted', 'number', ''),
      f('connections', 'number', ''),
      f('refused', 'record', 'by reason: max-send-rate, session-cap, not-verified, ...'),
    ]),
    f('tooLargeCode', 'string', 'the error code of the local size refusal'),
  ],
};

/** The help text for a shape: one line per field, nested fields indented. */
export function renderJsonShape(shape: JsonShape): string {
  const lines: string[] = [`${shape.heading ?? 'JSON (--json)'}: ${shape.title}`];
  const walk = (fields: readonly JsonField[], depth: number): void => {
    for (const field of fields) {
      const name = `${'  '.repeat(depth)}${field.name}${field.optional ? '?' : ''}`;
      lines.push(`  ${name.padEnd(24)} ${field.type.padEnd(9)} ${field.doc}`.trimEnd());
      if (field.fields !== undefined) walk(field.fields, depth + 1);
    }
  };
  walk(shape.brief?.fields ?? shape.fields, 0);
  if (shape.brief !== undefined) lines.push(`  ${'...'.padEnd(34)} ${shape.brief.note}`);
  return lines.join('\n');
}

/** The --json section of a command's help: its shapes, then the failure document. */
export function jsonHelp(...shapes: readonly JsonShape[]): string {
  return [...shapes, FAILURE_SHAPE].map(renderJsonShape).join('\n\n');
}
