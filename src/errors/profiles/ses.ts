/**
 * The Amazon SES profile: every row of the reply table in SES's "Amazon SES SMTP issues" page, plus
 * two observed replies, as data (spec/ses-replies.json mirrors it). Unmatched replies fall back to
 * the generic profile. Outcome and retryable always follow the reply class (RFC 5321 §4.2.1).
 */
import type { ProviderProfile, ReplyRule } from '../classify.js';
import { ErrorCodes } from '../codes.js';
import { frozenProfile } from './frozen.js';
import { GENERIC_PROFILE } from './generic.js';

const PAGE = 'SES Developer Guide, "Amazon SES SMTP issues", response code table';
const OBSERVED = 'observed on the wire (not in the SES reply table)';

const RULES: readonly ReplyRule[] = [
  {
    id: 'ses.235.authenticated',
    code: 235,
    text: /authentication successful/i,
    action: 'continue',
    errorCode: ErrorCodes.REPLY_UNEXPECTED,
    advice: 'Signed in; nothing to do.',
    source: PAGE,
  },
  {
    id: 'ses.250.ok',
    code: 250,
    text: /\bok\b/i,
    action: 'continue',
    errorCode: ErrorCodes.REPLY_UNEXPECTED,
    advice: 'Accepted; after the final dot, the text after "250 Ok " is the SES message id.',
    source: PAGE,
  },
  {
    id: 'ses.421.too-many-connections',
    code: 421,
    text: /too many concurrent smtp connections/i,
    action: 'reduce-connections',
    errorCode: ErrorCodes.TOO_MANY_CONNECTIONS,
    advice: 'Too many open SMTP connections for this account; use fewer connections, then retry.',
    source: PAGE,
  },
  {
    id: 'ses.421.max-message-count',
    code: 421,
    text: /maximum message count per session/i,
    action: 'reconnect',
    errorCode: ErrorCodes.SERVICE_UNAVAILABLE,
    advice:
      'SES ends a session after a number of messages; open a new connection and go on ' +
      '(cap messages per connection below it).',
    source: OBSERVED,
  },
  {
    id: 'ses.451.temporary-service-failure',
    code: 451,
    text: /temporary service failure/i,
    action: 'retry',
    errorCode: ErrorCodes.TRANSIENT_FAILURE,
    advice: 'SES could not process the request; retry with growing waits (5 s, 10 s, 30 s, then 20 min).',
    source: PAGE,
  },
  {
    id: 'ses.451.idle-timeout',
    code: 451,
    text: /timeout waiting for data from client/i,
    action: 'reconnect',
    errorCode: ErrorCodes.SERVICE_UNAVAILABLE,
    advice:
      'SES closed a connection that sat idle (about 10 s); the message was not sent: reconnect and ' +
      'send it again, and keep pooled connections idle for less than that.',
    source: PAGE,
  },
  {
    id: 'ses.454.daily-quota',
    code: 454,
    text: /daily message quota exceeded/i,
    action: 'stop-sending',
    errorCode: ErrorCodes.DAILY_QUOTA_EXCEEDED,
    advice:
      'The 24-hour sending quota is used up; stop sending until the rolling window frees capacity, ' +
      'or request a higher quota.',
    source: PAGE,
  },
  {
    id: 'ses.454.max-send-rate',
    code: 454,
    text: /maximum sending rate exceeded/i,
    action: 'slow-down',
    errorCode: ErrorCodes.THROTTLED,
    advice: 'Over the maximum send rate (recipients per second); lower the rate and retry with back-off.',
    source: PAGE,
  },
  {
    id: 'ses.454.temporary-auth-failure',
    code: 454,
    text: /temporary authentication failure/i,
    action: 'retry',
    errorCode: ErrorCodes.TRANSIENT_FAILURE,
    advice: 'SES could not validate the SMTP credentials just now; retry with back-off.',
    source: PAGE,
  },
  {
    id: 'ses.454.temporary-service-failure',
    code: 454,
    text: /temporary service failure/i,
    action: 'retry',
    errorCode: ErrorCodes.TRANSIENT_FAILURE,
    advice: 'SES did not receive the request and did not send the message; retry with back-off.',
    source: PAGE,
  },
  {
    id: 'ses.530.auth-required',
    code: 530,
    text: /authentication required/i,
    action: 'fix-credentials',
    errorCode: ErrorCodes.AUTH_REQUIRED,
    advice: 'SES requires authentication before sending; configure SES SMTP credentials.',
    source: PAGE,
  },
  {
    id: 'ses.535.credentials-invalid',
    code: 535,
    text: /authentication credentials invalid/i,
    action: 'fix-credentials',
    errorCode: ErrorCodes.AUTH_FAILED,
    advice:
      'SMTP credentials differ from AWS credentials and are region-specific; derive them with ' +
      '`smtp-machine password --region <region>`.',
    source: PAGE,
  },
  {
    id: 'ses.535.not-subscribed',
    code: 535,
    text: /account not subscribed to ses/i,
    action: 'fix-credentials',
    errorCode: ErrorCodes.AUTH_FAILED,
    advice:
      'The AWS account that owns these SMTP credentials is not signed up for SES; enable SES there ' +
      'or use credentials from the right account.',
    source: PAGE,
  },
  {
    id: 'ses.552.message-too-long',
    code: 552,
    text: /message is too long/i,
    action: 'reject',
    errorCode: ErrorCodes.MESSAGE_TOO_LARGE,
    advice:
      'The message is over the SES size limit (10 MB in the reply table; up to 40 MB for SMTP since ' +
      '2022); send a smaller message.',
    source: PAGE,
  },
  {
    // Per message, not per session: the IAM policy may allow some identities and not others.
    id: 'ses.554.access-denied',
    code: 554,
    text: /access denied.*not authorized/i,
    action: 'reject',
    errorCode: ErrorCodes.MESSAGE_REJECTED,
    advice:
      "The IAM user behind these SMTP credentials may not call ses:SendRawEmail on this identity; fix the user's " +
      "IAM policy or the identity's sending authorization policy.",
    source: PAGE,
  },
  {
    id: 'ses.554.not-verified',
    code: 554,
    text: /email address is not verified/i,
    action: 'reject',
    errorCode: ErrorCodes.MESSAGE_REJECTED,
    advice:
      'Verify the sender identity (address or domain) in this region: verification is per region. ' +
      'In the sandbox, verify every recipient too (or use the mailbox simulator).',
    source: PAGE,
  },
  {
    id: 'ses.554.recipient-count',
    code: 554,
    text: /recipient count exceeds/i,
    action: 'reject',
    errorCode: ErrorCodes.TOO_MANY_RECIPIENTS,
    advice: 'SES takes at most 50 recipients (To + Cc + Bcc) per message; split the message.',
    source: OBSERVED,
  },
];

export const SES_PROFILE: ProviderProfile = frozenProfile({
  name: 'ses',
  rules: RULES,
  fallback: GENERIC_PROFILE,
});

/**
 * Whether `profile` speaks for SES: SES_PROFILE itself, or a profile of the caller's that extends it
 * (SES_PROFILE in its fallback chain, e.g. `{ name: 'mine', rules: [...], fallback: SES_PROFILE }`).
 * Such a client or pool also gets SES's 50-recipient check and, in a pool, SES's retry schedule.
 */
export function speaksSes(profile: ProviderProfile | undefined): boolean {
  for (let current = profile; current !== undefined; current = current.fallback) {
    if (current === SES_PROFILE) return true;
  }
  return false;
}
