/**
 * startSesSimulator checks its options before it loads its peers, writes its CA file or binds a port,
 * the way createClient does: an unknown name or a value of the wrong type or range is an
 * SmtpUsageError (SMTP_INVALID_ARGUMENT) whose `field` names the option, never a raw RangeError
 * from listen() or a typo silently ignored.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { SmtpUsageError } from '../../../src/errors/smtp-error.js';
import { type SesSimulatorOptions, startSesSimulator } from '../../../src/ses/simulator/simulator.js';
import { createTestCertificates, type TestCertificates } from '../../../src/testing/certificates.js';

let certificates: TestCertificates;
beforeAll(async () => {
  certificates = await createTestCertificates();
});

/** The rejection of a start with `options`; a simulator that does start is closed (and undefined returned). */
async function refusalOf(options: unknown): Promise<unknown> {
  const withCerts =
    options !== null && typeof options === 'object' && !Array.isArray(options)
      ? { certificates, ...(options as object) }
      : options;
  return startSesSimulator(withCerts as SesSimulatorOptions).then(
    async (sim) => {
      await sim.close();
      return undefined;
    },
    (error: unknown) => error,
  );
}

describe('startSesSimulator refuses bad options by name', () => {
  it.each([
    ['maxSendrate', { maxSendrate: 14 }],
    ['verifiedIdentity', { verifiedIdentities: ['example.com'], verifiedIdentity: ['x.test'] }],
    ['port', { port: 2587 }],
  ])('the unknown option %s', async (field, options) => {
    const error = await refusalOf(options);
    expect(error).toBeInstanceOf(SmtpUsageError);
    expect(error).toMatchObject({ code: 'SMTP_INVALID_ARGUMENT', field });
    expect((error as Error).message).toContain('is not an SES simulator option');
  });

  it.each([
    ['starttlsPort', -1],
    ['starttlsPort', 65_536],
    ['tlsPort', 1.5],
    ['tlsPort', '2465'],
    ['region', 'US-EAST-1'],
    ['region', 'us-east-1 '],
    ['sandbox', 'no'],
    ['acceptV2Passwords', 1],
    ['maxSendRate', 0],
    ['maxSendRate', Number.NaN],
    ['maxSendRate', Number.POSITIVE_INFINITY],
    ['dailyQuota', -1],
    ['dailyQuota', 2.5],
    ['maxConnections', -1],
    ['maxMessagesPerSession', 1.5],
    ['maxMessageSize', 0],
    ['maxRecipients', 0],
    ['idleTimeoutMs', 0],
    ['idleTimeoutMs', 2 ** 31],
    ['idleTimeoutMs', -5],
    ['mailDir', ''],
    ['mailDir', 42],
    ['clock', 1000],
    ['onError', 'log'],
    ['verifiedIdentities', 'example.com'],
    ['verifiedIdentities[1]', ['example.com', '']],
    ['credentials', { accessKeyId: 'AKIA', secretAccessKey: 'x' }],
    ['credentials[0].secretAccessKey', [{ accessKeyId: 'AKIAEXAMPLE', secretAccessKey: '' }]],
    ['credentials[0].accessKeyId', [{ secretAccessKey: 'some+secret' }]],
    ['credentials[0].secret', [{ accessKeyId: 'AKIAEXAMPLE', secretAccessKey: 's', secret: 's' }]],
    ['certificates', 'pem'],
    ['certificates.server', { ca: { cert: 'c', key: 'k' } }],
  ] as const)('%s = %j', async (field, value) => {
    const error = await refusalOf({ [field.split(/[.[]/)[0] as string]: value });
    expect(error).toBeInstanceOf(SmtpUsageError);
    expect(error).toMatchObject({ code: 'SMTP_INVALID_ARGUMENT', field });
  });

  it.each([null, 'us-east-1', [1]])('options that are not an object (%j)', async (options) => {
    const error = await refusalOf(options);
    expect(error).toBeInstanceOf(SmtpUsageError);
    expect(error).toMatchObject({ code: 'SMTP_INVALID_ARGUMENT', field: 'options' });
  });

  it('never echoes a secret access key it refuses', async () => {
    const error = await refusalOf({
      credentials: [{ accessKeyId: 'AKIAEXAMPLE', secretAccessKey: 'TOP+SECRET+VALUE', extra: 1 }],
    });
    expect(error).toBeInstanceOf(SmtpUsageError);
    expect(JSON.stringify((error as SmtpUsageError).toJSON())).not.toContain('TOP+SECRET');
    expect(String(error)).not.toContain('TOP+SECRET');
  });
});

describe('startSesSimulator accepts every documented option', () => {
  it('starts with all of them set to valid values (0 ports: any free one)', async () => {
    const sim = await startSesSimulator({
      region: 'ap-southeast-9',
      credentials: [{ accessKeyId: 'AKIAEXAMPLE000000001', secretAccessKey: 'some+secret+key' }],
      acceptV2Passwords: true,
      sandbox: false,
      verifiedIdentities: ['example.com'],
      maxSendRate: 0.5,
      dailyQuota: 0,
      maxConnections: 0,
      maxMessageSize: 1000,
      idleTimeoutMs: 1000,
      maxMessagesPerSession: 0,
      maxRecipients: 1,
      clock: () => 0,
      starttlsPort: 0,
      tlsPort: 0,
      certificates,
      onError: () => {},
    });
    try {
      expect(sim.region).toBe('ap-southeast-9');
      expect(sim.starttlsPort).toBeGreaterThan(0);
    } finally {
      await sim.close();
    }
  });
});
