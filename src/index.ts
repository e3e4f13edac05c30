/**
 * smtp-machine: the public entry. A single-connection client (`createClient`), a pool with the
 * retry schedule, rate limits and connection recycling SES asks for (`createPool`), typed errors
 * with delivery outcomes, and the pure sans-I/O core for those who drive their own sockets.
 * The SES simulator (it needs the optional peers smtp-server and selfsigned) is `smtp-machine/ses-simulator`.
 */

export type { Attempt, AttemptError, SmtpErrorWithAttempts } from './delivery/attempt-history.js';
export { attemptsOf } from './delivery/attempt-history.js';
export type { Clock } from './delivery/clock.js';
export { systemClock } from './delivery/clock.js';
export type { Pool, PoolCloseOptions } from './delivery/pool.js';
export { CLOSE_SETTLE_GRACE_MS, createPool } from './delivery/pool.js';
export type {
  CloseReason,
  PoolEvent,
  PoolEventType,
  PoolStats,
  RecycleReason,
  RetryCause,
} from './delivery/pool-events.js';
export type {
  ClientLike,
  ClientSendRequest,
  ClientSendResult,
  PoolClientOptions,
  PoolOptions,
  PoolSettings,
  QuotaPolicy,
  RateLimitOption,
} from './delivery/pool-options.js';
export { POOL_DEFAULTS } from './delivery/pool-options.js';
export type { RateLimiterOptions } from './delivery/rate-limiter.js';
export { RateLimiter } from './delivery/rate-limiter.js';
export type {
  DecideOptions,
  ExponentialBackoff,
  RetryAction,
  RetryContext,
  RetryDecision,
  RetryErrorInfo,
  RetryOption,
  RetryPolicy,
  RetrySchedule,
  RetrySetting,
  StopReason,
} from './delivery/retry-policy.js';
// Delivery policy
export {
  decideRetry,
  defaultRetryOption,
  GENERIC_RETRY_BACKOFF,
  SES_RETRY_SCHEDULE,
} from './delivery/retry-policy.js';
export type { PoolRefusal, PoolSendRequest, PoolSendResult } from './delivery/send-job.js';
export type { Action, Disposition, ProviderProfile, ReplyRule } from './errors/classify.js';
export { classifyReply, GENERIC_PROFILE, SES_PROFILE, speaksSes } from './errors/classify.js';
export type { ErrorCode } from './errors/codes.js';
// Errors and reply classification
export { ErrorCodes } from './errors/codes.js';
export type { Origin, Outcome, Phase, RecipientRefusal, SmtpErrorOptions } from './errors/smtp-error.js';
export {
  isSmtpError,
  SmtpConnectionError,
  SmtpError,
  SmtpProtocolError,
  SmtpReplyError,
  SmtpTimeoutError,
  SmtpUsageError,
} from './errors/smtp-error.js';
export type { Attachment, ComposedMessage, ComposeOptions } from './message/compose.js';
// Message composition
export { composeMessage } from './message/compose.js';
export type { Capabilities } from './protocol/capabilities.js';
export { NO_CAPABILITIES, parseEhloReply } from './protocol/capabilities.js';
export type { Command } from './protocol/command.js';
export { encodeCommand, validateAddress, validateCommand } from './protocol/command.js';
export type { DataEncoderOptions } from './protocol/data-encoder.js';
export { DataEncoder, encodeData } from './protocol/data-encoder.js';
export * as limits from './protocol/limits.js';
export type { ReplyParserLimits } from './protocol/reply-parser.js';
export { ReplyParser, replyText } from './protocol/reply-parser.js';
export type { EnhancedStatus, Reply } from './protocol/reply-types.js';
export type { SesAdviceInput } from './ses/advice.js';
export { sesAdvice } from './ses/advice.js';
export type { SesPortSecurity } from './ses/endpoints.js';
export {
  defaultSecurityForPort,
  regionFromHost,
  SES_FIPS_REGIONS,
  SES_PORTS,
  sesSmtpHost,
} from './ses/endpoints.js';
export type { SesHeader } from './ses/headers.js';
export { sesConfigurationSetHeader, sesMessageTagsHeader } from './ses/headers.js';
// Amazon SES toolkit
export {
  deriveSesSmtpPassword,
  deriveSesSmtpPasswordV2,
  looksLikeSecretAccessKey,
  looksLikeSesSmtpPassword,
} from './ses/password.js';
export { checkSesRecipientCount, SES_MAX_RECIPIENTS } from './ses/recipients.js';
export type { Credentials, HmacMd5, Mechanism } from './session/sasl.js';
export type {
  Security,
  SendRequest,
  SessionEffect,
  SessionOptions,
  TimeoutOverrides,
  Timeouts,
  TranscriptEntry,
} from './session/session.js';
// The sans-I/O core: drive your own sockets
export { DEFAULT_TIMEOUTS, Session } from './session/session.js';
export type { BodyTransfer, Clock as SessionClock } from './session/types.js';
export type {
  ClientCredentials,
  ClientEvent,
  ClientLogger,
  ClientOptions,
  MessageInput,
  SendOptions,
  SendResult,
  SmtpClient,
  TlsSettings,
} from './transport/client.js';
// Clients
export { createClient } from './transport/client.js';
export type { LegacyTlsVersion, PemInput, TlsVersion } from './transport/tls-options.js';
