import { invalidArgument, isRecord } from '../../errors/invalid-argument.js';
import { MAX_TIMER_MS } from '../../protocol/limits.js';
import { checkSesRegion } from '../endpoints.js';
import type { SesSimulatorOptions } from './options.js';

type Check = (value: unknown, field: string) => void;

const boolean: Check = (value, field) => {
  if (typeof value !== 'boolean') throw invalidArgument(field, 'must be a boolean');
};
const fn: Check = (value, field) => {
  if (typeof value !== 'function') throw invalidArgument(field, 'must be a function');
};
const nonEmptyString: Check = (value, field) => {
  if (typeof value !== 'string' || value.length === 0)
    throw invalidArgument(field, 'must be a non-empty string');
};
const integerFrom =
  (min: number, max = Number.MAX_SAFE_INTEGER): Check =>
  (value, field) => {
    if (!(Number.isInteger(value) && (value as number) >= min && (value as number) <= max)) {
      throw invalidArgument(field, `must be an integer from ${min} to ${max}`);
    }
  };
const positiveNumber: Check = (value, field) => {
  if (!(typeof value === 'number' && Number.isFinite(value) && value > 0)) {
    throw invalidArgument(field, 'must be a positive finite number');
  }
};
const port = integerFrom(0, 65_535);

const CHECKS: Readonly<Record<keyof SesSimulatorOptions, Check>> = {
  region: (value) => checkSesRegion(value),
  credentials: checkCredentials,
  acceptV2Passwords: boolean,
  sandbox: boolean,
  verifiedIdentities: (value, field) => {
    if (!Array.isArray(value)) throw invalidArgument(field, 'must be an array of addresses and domains');
    for (const [i, identity] of value.entries()) nonEmptyString(identity, `${field}[${i}]`);
  },
  maxSendRate: positiveNumber,
  // 0 is a limit too: every message over the quota, every connection or MAIL refused.
  dailyQuota: integerFrom(0),
  maxConnections: integerFrom(0),
  maxMessagesPerSession: integerFrom(0),
  maxMessageSize: integerFrom(1),
  maxRecipients: integerFrom(1),
  // smtp-server reads a socketTimeout of 0 as its own default (60 s): refused rather than changed.
  idleTimeoutMs: integerFrom(1, MAX_TIMER_MS),
  mailDir: nonEmptyString,
  clock: fn,
  starttlsPort: port,
  tlsPort: port,
  certificates: checkCertificates,
  onError: fn,
};

/** Throws SmtpUsageError unless `options` is a valid SesSimulatorOptions (undefined values are defaults). */
export function checkSimulatorOptions(options: unknown): asserts options is SesSimulatorOptions {
  if (!isRecord(options)) throw invalidArgument('options', 'must be an object');
  for (const [key, value] of Object.entries(options)) {
    const check = Object.hasOwn(CHECKS, key) ? CHECKS[key as keyof SesSimulatorOptions] : undefined;
    if (check === undefined) throw invalidArgument(key, 'is not an SES simulator option');
    if (value !== undefined) check(value, key);
  }
}

function checkCredentials(value: unknown, field: string): void {
  if (!Array.isArray(value))
    throw invalidArgument(field, 'must be an array of { accessKeyId, secretAccessKey }');
  for (const [i, credential] of value.entries()) {
    const at = `${field}[${i}]`;
    if (!isRecord(credential))
      throw invalidArgument(at, 'must be an object { accessKeyId, secretAccessKey }');
    for (const key of Object.keys(credential)) {
      if (key !== 'accessKeyId' && key !== 'secretAccessKey')
        throw invalidArgument(`${at}.${key}`, 'is not a credential field');
    }
    nonEmptyString(credential.accessKeyId, `${at}.accessKeyId`);
    nonEmptyString(credential.secretAccessKey, `${at}.secretAccessKey`);
  }
}

/** `{ ca, server }` PEM pairs; other keys (createTestCertificates() also has `hosts`, `issue`) are left alone. */
function checkCertificates(value: unknown, field: string): void {
  if (!isRecord(value))
    throw invalidArgument(field, 'must be { ca, server } PEM pairs, e.g. from createTestCertificates()');
  for (const part of ['ca', 'server'] as const) {
    const pair = value[part];
    if (!isRecord(pair)) throw invalidArgument(`${field}.${part}`, 'must be a PEM pair { cert, key }');
    nonEmptyString(pair.cert, `${field}.${part}.cert`);
    if (part === 'server') nonEmptyString(pair.key, `${field}.${part}.key`);
  }
}
