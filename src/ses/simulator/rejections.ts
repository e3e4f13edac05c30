/**
 * Names for the refusals the simulator counts in its stats, derived from the SES reply text.
 */
import { SesReplies } from './replies.js';

export const SES_REJECTION_REASONS = [
  'auth-required',
  'auth-invalid',
  'tls-required',
  'too-many-connections',
  'idle-timeout',
  'session-cap',
  'message-too-long',
  'too-many-recipients',
  'not-verified',
  'max-send-rate',
  'daily-quota',
  'temporary-failure',
  'other',
] as const;

export type SesRejectionReason = (typeof SES_REJECTION_REASONS)[number];

const BY_TEXT: ReadonlyMap<string, SesRejectionReason> = new Map([
  [SesReplies.authRequired, 'auth-required'],
  [SesReplies.authInvalid, 'auth-invalid'],
  [SesReplies.startTlsFirst, 'tls-required'],
  [SesReplies.tooManyConnections, 'too-many-connections'],
  [SesReplies.idleTimeout, 'idle-timeout'],
  [SesReplies.sessionCap, 'session-cap'],
  [SesReplies.messageTooLong, 'message-too-long'],
  [SesReplies.maxSendRate, 'max-send-rate'],
  [SesReplies.dailyQuota, 'daily-quota'],
  [SesReplies.temporaryFailure, 'temporary-failure'],
]);

export function rejectionReason(data: string | readonly string[]): SesRejectionReason {
  const text = typeof data === 'string' ? data : (data[0] ?? '');
  const known = BY_TEXT.get(text);
  if (known !== undefined) return known;
  if (text.startsWith('Message rejected: Email address is not verified')) return 'not-verified';
  if (text.startsWith('Transaction failed: Recipient count exceeds')) return 'too-many-recipients';
  return 'other';
}
