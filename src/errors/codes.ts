/**
 * Stable error codes. A code names what went wrong, never how it was detected; once
 * published a code is never renamed. Grouped by who broke the rules (h11's split):
 * the caller (usage), the peer (protocol/reply), or the network.
 */
export const ErrorCodes = {
  // Local: the caller asked for something we will not put on the wire. Nothing was written.
  INVALID_ARGUMENT: 'SMTP_INVALID_ARGUMENT',
  INVALID_ADDRESS: 'SMTP_INVALID_ADDRESS',
  CONTROL_CHARACTER: 'SMTP_CONTROL_CHARACTER',
  COMMAND_TOO_LONG: 'SMTP_COMMAND_TOO_LONG',
  NON_ASCII_WITHOUT_SMTPUTF8: 'SMTP_UTF8_NOT_SUPPORTED',
  BODY_NUL: 'SMTP_BODY_NUL',
  BODY_BARE_LINE_ENDING: 'SMTP_BODY_BARE_LINE_ENDING',
  BODY_LINE_TOO_LONG: 'SMTP_BODY_LINE_TOO_LONG',
  BODY_8BIT_NOT_SUPPORTED: 'SMTP_8BIT_NOT_SUPPORTED',
  /** `binary: true` and the server lacks CHUNKING or BINARYMIME (RFC 3030 §3), or `chunking: false`. */
  BODY_BINARY_NOT_SUPPORTED: 'SMTP_BINARY_NOT_SUPPORTED',
  MESSAGE_TOO_LARGE: 'SMTP_MESSAGE_TOO_LARGE',
  /** The caller's message stream threw or errored while it was being sent; no terminating dot was written. */
  MESSAGE_STREAM_FAILED: 'SMTP_MESSAGE_STREAM_FAILED',
  /** send() on a session that already has a transaction in flight (a programming error in the caller). */
  SESSION_BUSY: 'SMTP_SESSION_BUSY',
  TOO_MANY_RECIPIENTS: 'SMTP_TOO_MANY_RECIPIENTS',
  NO_RECIPIENTS: 'SMTP_NO_RECIPIENTS',
  AUTH_WITHOUT_TLS: 'SMTP_AUTH_WITHOUT_TLS',
  AUTH_MECHANISM_UNSUPPORTED: 'SMTP_AUTH_MECHANISM_UNSUPPORTED',
  CLIENT_CLOSED: 'SMTP_CLIENT_CLOSED',
  ABORTED: 'SMTP_ABORTED',
  QUEUE_FULL: 'SMTP_QUEUE_FULL',
  /** An optional peer dependency (smtp-server, selfsigned) needed by the simulator or test tools is not installed. */
  DEPENDENCY_MISSING: 'SMTP_DEPENDENCY_MISSING',

  // Remote: the peer broke the protocol or refused.
  REPLY_MALFORMED: 'SMTP_REPLY_MALFORMED',
  REPLY_TOO_LONG: 'SMTP_REPLY_TOO_LONG',
  REPLY_UNEXPECTED: 'SMTP_REPLY_UNEXPECTED',
  STARTTLS_INJECTION: 'SMTP_STARTTLS_INJECTION',
  TLS_REQUIRED: 'SMTP_TLS_REQUIRED',
  AUTH_FAILED: 'SMTP_AUTH_FAILED',
  AUTH_REQUIRED: 'SMTP_AUTH_REQUIRED',
  AUTH_CHALLENGE_LIMIT: 'SMTP_AUTH_CHALLENGE_LIMIT',
  GREETING_REFUSED: 'SMTP_GREETING_REFUSED',
  EHLO_REFUSED: 'SMTP_EHLO_REFUSED',
  SERVICE_UNAVAILABLE: 'SMTP_SERVICE_UNAVAILABLE',
  SENDER_REJECTED: 'SMTP_SENDER_REJECTED',
  ALL_RECIPIENTS_REJECTED: 'SMTP_ALL_RECIPIENTS_REJECTED',
  /** One recipient refused for good (5yz at RCPT): the code of that refusal, never of a send. */
  RECIPIENT_REJECTED: 'SMTP_RECIPIENT_REJECTED',
  DATA_REJECTED: 'SMTP_DATA_REJECTED',
  MESSAGE_REJECTED: 'SMTP_MESSAGE_REJECTED',
  TRANSIENT_FAILURE: 'SMTP_TRANSIENT_FAILURE',
  THROTTLED: 'SMTP_THROTTLED',
  DAILY_QUOTA_EXCEEDED: 'SMTP_DAILY_QUOTA_EXCEEDED',
  TOO_MANY_CONNECTIONS: 'SMTP_TOO_MANY_CONNECTIONS',

  /** Something threw that is not an SmtpError: a bug in smtp-machine or an injected component; see `cause`. */
  INTERNAL_ERROR: 'SMTP_INTERNAL_ERROR',

  // Network and time.
  CONNECTION_FAILED: 'SMTP_CONNECTION_FAILED',
  CONNECTION_CLOSED: 'SMTP_CONNECTION_CLOSED',
  TLS_FAILED: 'SMTP_TLS_FAILED',
  TIMEOUT: 'SMTP_TIMEOUT',
} as const;

export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];
