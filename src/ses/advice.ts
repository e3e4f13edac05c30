/**
 * Human hints for SES failures: the SES profile's advice for the reply (or error code), plus what
 * the context gives away (a secret key used as password, EC2's port 25, a time-out's MTU, TLS
 * mode/port mix-ups).
 */
import { findRule } from '../errors/classify.js';
import type { ErrorCode } from '../errors/codes.js';
import { ErrorCodes } from '../errors/codes.js';
import { SES_PROFILE } from '../errors/profiles/ses.js';
import type { Phase } from '../errors/smtp-error.js';
import type { Reply } from '../protocol/reply-types.js';
import { defaultSecurityForPort, regionFromHost } from './endpoints.js';

export interface SesAdviceInput {
  readonly code?: ErrorCode;
  readonly reply?: Reply;
  readonly phase?: Phase;
  readonly port?: number;
  /** The SMTP password that was used: only its shape is looked at, it never appears in a hint. */
  readonly pass?: string;
  readonly host?: string;
  readonly region?: string;
  readonly security?: string;
}

interface Hint {
  readonly id: string;
  readonly applies: (input: SesAdviceInput) => boolean;
  readonly text: (input: SesAdviceInput) => string;
}

/** When there is no reply (a local or relayed error), the SES rule whose advice fits the code. */
const RULE_FOR_CODE: Partial<Record<ErrorCode, string>> = {
  [ErrorCodes.DAILY_QUOTA_EXCEEDED]: 'ses.454.daily-quota',
  [ErrorCodes.THROTTLED]: 'ses.454.max-send-rate',
  [ErrorCodes.TOO_MANY_CONNECTIONS]: 'ses.421.too-many-connections',
  [ErrorCodes.TOO_MANY_RECIPIENTS]: 'ses.554.recipient-count',
  [ErrorCodes.MESSAGE_TOO_LARGE]: 'ses.552.message-too-long',
  [ErrorCodes.AUTH_REQUIRED]: 'ses.530.auth-required',
  [ErrorCodes.AUTH_FAILED]: 'ses.535.credentials-invalid',
};

// Derived SMTP passwords are base64 of 33 bytes: 44 characters, 'B…' (V4) or 'A…' (legacy V2).
// An IAM secret access key is 40 characters, so a 40-character password is never a derived one.
const SECRET_KEY_SHAPE = /^[A-Za-z0-9+/]{40}$/;
const V4_PASSWORD_SHAPE = /^B[A-Za-z0-9+/]{43}$/;
const V2_PASSWORD_SHAPE = /^A[A-Za-z0-9+/]{43}$/;

// "535 Account not subscribed to SES" is its own row of SES's table: the account, not the password.
const authRefused = (input: SesAdviceInput): boolean =>
  (input.reply?.code === 535 && !/not subscribed/i.test(input.reply.lines.join(' '))) ||
  (input.reply === undefined && input.code === ErrorCodes.AUTH_FAILED);
const connectFailed = (input: SesAdviceInput): boolean =>
  (input.code === ErrorCodes.TIMEOUT || input.code === ErrorCodes.CONNECTION_FAILED) &&
  (input.phase === undefined || input.phase === 'connect');
// EC2 restricts port 25: the dial, or a connection that opens but never greets, times out.
const port25TimedOut = (input: SesAdviceInput): boolean =>
  input.port === 25 &&
  (connectFailed(input) || (input.code === ErrorCodes.TIMEOUT && input.phase === 'greeting'));
// A time-out once the server has greeted: what SES's page puts down to a too-large MTU.
const timedOutConnected = (input: SesAdviceInput): boolean =>
  input.code === ErrorCodes.TIMEOUT &&
  input.phase !== undefined &&
  input.phase !== 'connect' &&
  input.phase !== 'greeting';
// SES checks a SigV4 password against the region of the endpoint dialled: an SES host's region comes first,
// the region given is for hosts that do not name one (a proxy, the simulator).
const regionOf = (input: SesAdviceInput): string =>
  (input.host === undefined ? undefined : regionFromHost(input.host)) ?? input.region ?? '<region>';

const HINTS: readonly Hint[] = [
  {
    id: 'secret-key-as-password',
    applies: (input) => authRefused(input) && SECRET_KEY_SHAPE.test(input.pass ?? ''),
    text: (input) =>
      'This looks like an AWS secret access key, not an SMTP password; derive it with ' +
      `\`smtp-machine password --region ${regionOf(input)}\`.`,
  },
  {
    id: 'password-other-region',
    applies: (input) => authRefused(input) && V4_PASSWORD_SHAPE.test(input.pass ?? ''),
    text: (input) =>
      `SMTP passwords are derived per region: make sure this one was derived for ${regionOf(input)}.`,
  },
  {
    id: 'password-legacy-v2',
    applies: (input) => authRefused(input) && V2_PASSWORD_SHAPE.test(input.pass ?? ''),
    text: (input) =>
      'This looks like a legacy (Signature V2) SMTP password, which AWS has deprecated; derive a V4 one ' +
      `with \`smtp-machine password --region ${regionOf(input)}\`.`,
  },
  {
    id: 'ec2-port-25',
    applies: port25TimedOut,
    text: () =>
      'Amazon EC2 restricts outbound port 25 by default; use port 587 (STARTTLS) or 465 (implicit TLS).',
  },
  {
    id: 'network-blocked',
    applies: (input) => input.port !== 25 && connectFailed(input),
    text: (input) =>
      `Check that your network or firewall allows outbound connections to port ${input.port ?? 'the SMTP port'}.`,
  },
  {
    id: 'implicit-port-without-tls',
    applies: (input) =>
      input.port !== undefined &&
      defaultSecurityForPort(input.port) === 'implicit' &&
      input.security !== 'implicit' &&
      input.code === ErrorCodes.TIMEOUT &&
      input.phase === 'greeting',
    text: (input) =>
      `Port ${input.port} expects TLS from the first byte: use security 'implicit' (or port 587 with 'starttls').`,
  },
  {
    id: 'starttls-port-with-implicit-tls',
    applies: (input) =>
      input.port !== undefined &&
      defaultSecurityForPort(input.port) === 'starttls' &&
      (input.security === undefined || input.security === 'implicit') &&
      input.code === ErrorCodes.TLS_FAILED &&
      (input.phase === undefined || input.phase === 'connect' || input.phase === 'tls'),
    text: (input) =>
      `Port ${input.port} starts in plaintext and upgrades with STARTTLS: use security 'starttls' ` +
      "(or port 465 with 'implicit').",
  },
  {
    id: 'mtu',
    applies: timedOutConnected,
    text: () =>
      "SES's advice for time-outs on an open connection: the network interface's MTU may be too large; " +
      'set it to 1500 bytes on the sending machine.',
  },
  {
    id: 'connection-recycled',
    applies: (input) => input.code === ErrorCodes.CONNECTION_CLOSED && input.reply === undefined,
    text: () =>
      'SES closes connections idle for about 10 s and recycles long-lived ones: reconnect, and cap idle ' +
      'time and messages per connection.',
  },
];

/** Hints for an SES failure, most specific first; [] when there is nothing useful to say. */
export function sesAdvice(input: SesAdviceInput): string[] {
  const hints = [
    replyAdvice(input),
    ...HINTS.filter((hint) => hint.applies(input)).map((hint) => hint.text(input)),
  ];
  return [...new Set(hints.filter((hint): hint is string => hint !== undefined))];
}

const TLS_MODE_HINTS: ReadonlySet<string> = new Set([
  'implicit-port-without-tls',
  'starttls-port-with-implicit-tls',
]);

/** Only the port/TLS-mode rows: they hold for any server on the well-known ports, SES or not. */
export function tlsModeAdvice(input: SesAdviceInput): string[] {
  return HINTS.filter((hint) => TLS_MODE_HINTS.has(hint.id) && hint.applies(input)).map((hint) =>
    hint.text(input),
  );
}

/** The profile's advice for the reply or code, its `<region>` filled in when the region is known. */
function replyAdvice(input: SesAdviceInput): string | undefined {
  return ruleAdvice(input)?.replaceAll('<region>', regionOf(input));
}

function ruleAdvice(input: SesAdviceInput): string | undefined {
  if (input.reply !== undefined) {
    const rule = findRule(input.reply, input.phase ?? 'ready', SES_PROFILE);
    if (rule?.advice !== undefined && rule.action !== 'continue') return rule.advice;
  }
  const id = input.code === undefined ? undefined : RULE_FOR_CODE[input.code];
  return SES_PROFILE.rules.find((rule) => rule.id === id)?.advice;
}
