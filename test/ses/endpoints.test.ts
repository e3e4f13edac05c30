import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { SmtpUsageError } from '../../src/errors/smtp-error.js';
import {
  defaultSecurityForPort,
  isSesRegionSyntax,
  regionFromHost,
  SES_FIPS_REGIONS,
  SES_PORTS,
  sesSmtpHost,
} from '../../src/ses/endpoints.js';

describe('sesSmtpHost', () => {
  it.each([
    ['us-east-1', 'email-smtp.us-east-1.amazonaws.com'],
    ['eu-central-1', 'email-smtp.eu-central-1.amazonaws.com'],
    ['us-gov-west-1', 'email-smtp.us-gov-west-1.amazonaws.com'],
    // Unknown but well-formed regions are never refused.
    ['ap-southeast-9', 'email-smtp.ap-southeast-9.amazonaws.com'],
    ['us-isob-east-1', 'email-smtp.us-isob-east-1.amazonaws.com'],
  ])('%s → %s', (region, host) => {
    expect(sesSmtpHost(region)).toBe(host);
    expect(sesSmtpHost(region, { fips: false })).toBe(host);
  });

  it.each(SES_FIPS_REGIONS)('FIPS in %s', (region) => {
    expect(sesSmtpHost(region, { fips: true })).toBe(`email-smtp-fips.${region}.amazonaws.com`);
  });

  it('lists exactly the documented FIPS regions', () => {
    expect([...SES_FIPS_REGIONS].sort()).toEqual([
      'us-east-1',
      'us-east-2',
      'us-gov-west-1',
      'us-west-1',
      'us-west-2',
    ]);
  });

  it.each(['eu-west-1', 'ap-southeast-9', 'us-gov-east-1'])(
    'refuses FIPS in %s with a usage error',
    (region) => {
      expect(() => sesSmtpHost(region, { fips: true })).toThrow(SmtpUsageError);
      try {
        sesSmtpHost(region, { fips: true });
      } catch (error) {
        expect(error).toMatchObject({ code: 'SMTP_INVALID_ARGUMENT', field: 'fips', origin: 'local' });
      }
    },
  );

  it.each([
    '',
    'US-EAST-1',
    'us-east',
    'useast1',
    'us-east-1.',
    'us-east-1\r\nX: y',
    'evil.com/us-east-1',
    'us-east-1.attacker.example',
    'u-east-1',
    ' us-east-1',
  ])('refuses the malformed region %j without echoing it', (region) => {
    let thrown: unknown;
    try {
      sesSmtpHost(region);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(SmtpUsageError);
    expect(thrown).toMatchObject({ code: 'SMTP_INVALID_ARGUMENT', field: 'region' });
    if (region.length > 0) expect((thrown as Error).message).not.toContain(region);
  });
});

describe('region names', () => {
  // Loose on purpose: a partition prefix of two letters or more, any number of dash-separated words,
  // then a number (us-isob-east-1, eusc-de-east-1): a region AWS opens tomorrow must work today.
  const wellFormed = fc
    .tuple(
      fc.stringMatching(/^[a-z]{2,6}$/),
      fc.array(fc.stringMatching(/^[a-z]{1,8}$/), { minLength: 1, maxLength: 5 }),
      fc.nat(99),
    )
    .map(([prefix, words, n]) => [prefix, ...words, String(n)].join('-'));
  test.prop([wellFormed], { numRuns: 300 })('accepts every well-formed region name', (region) => {
    expect(sesSmtpHost(region)).toBe(`email-smtp.${region}.amazonaws.com`);
    expect(regionFromHost(sesSmtpHost(region))).toBe(region);
  });

  // The CLI asks isSesRegionSyntax before it dials: it must say yes exactly to what sesSmtpHost takes.
  const nearRegion = fc.oneof(
    wellFormed,
    fc.constantFrom('US-EAST-1', 'us-east', 'us-east-1 ', 'u-east-1', 'us_east_1', 'us-east-1.', ''),
    fc.string({ unit: fc.constantFrom('a', 'z', 'A', '-', '1', '_', '.', ' ', '\n'), maxLength: 14 }),
  );
  test.prop([nearRegion], { numRuns: 300 })('isSesRegionSyntax agrees with sesSmtpHost', (region) => {
    let accepted = true;
    try {
      sesSmtpHost(region);
    } catch (error) {
      expect(error).toBeInstanceOf(SmtpUsageError);
      accepted = false;
    }
    expect(isSesRegionSyntax(region)).toBe(accepted);
  });

  // Not a string, though its String() form is a region: refused, not turned into a host name.
  it.each([
    ['an array', ['us-east-1']],
    ['an object with toString', { toString: (): string => 'us-east-1' }],
    ['a String object', new String('us-east-1')],
  ])('refuses %s', (_label, region) => {
    expect(() => sesSmtpHost(region as unknown as string)).toThrow(
      expect.objectContaining({ code: 'SMTP_INVALID_ARGUMENT', field: 'region' }),
    );
    expect(() => sesSmtpHost(region as unknown as string)).toThrow(SmtpUsageError);
  });
});

describe('regionFromHost', () => {
  it.each([
    ['email-smtp.us-west-2.amazonaws.com', 'us-west-2'],
    ['email-smtp-fips.us-east-1.amazonaws.com', 'us-east-1'],
    ['EMAIL-SMTP.EU-WEST-1.AMAZONAWS.COM', 'eu-west-1'],
    ['email-smtp.eu-west-1.amazonaws.com.', 'eu-west-1'],
    // Interface VPC endpoint names (PrivateLink: vpce-<id>-<suffix>[-<zone>].<service>.<region>.vpce.amazonaws.com,
    // the service being com.amazonaws.<region>.email-smtp): regional and zonal.
    ['vpce-0123abcd-xyz.email-smtp.us-west-2.vpce.amazonaws.com', 'us-west-2'],
    ['vpce-0a1b2c3d4e5f60718-abcd1234.email-smtp.us-east-1.vpce.amazonaws.com', 'us-east-1'],
    [
      'vpce-0a1b2c3d4e5f60718-abcd1234-ap-northeast-2a.email-smtp.ap-northeast-2.vpce.amazonaws.com',
      'ap-northeast-2',
    ],
    ['VPCE-0123ABCD-XYZ.EMAIL-SMTP.EU-WEST-1.VPCE.AMAZONAWS.COM.', 'eu-west-1'],
  ])('%s → %s', (host, region) => {
    expect(regionFromHost(host)).toBe(region);
  });

  it.each([
    'smtp.gmail.com',
    'email-smtp.amazonaws.com',
    'email.us-east-1.amazonaws.com',
    'email-smtp.us-east-1.amazonaws.com.evil.example',
    'xemail-smtp.us-east-1.amazonaws.com',
    // Only SES's SMTP service behind a VPC endpoint, and only in that exact form: not any *.amazonaws.com.
    'vpce-0123abcd-xyz.email.us-west-2.vpce.amazonaws.com',
    'vpce-0123abcd-xyz.s3.us-west-2.vpce.amazonaws.com',
    'email-smtp.us-west-2.vpce.amazonaws.com',
    'vpce-0123abcd.email-smtp.us-west-2.vpce.amazonaws.com',
    'x.vpce-0123abcd-xyz.email-smtp.us-west-2.vpce.amazonaws.com',
    'vpce-0123abcd-xyz.email-smtp.us-west-2.vpce.amazonaws.com.evil.example',
    'vpce-0123abcd-xyz.email-smtp.us-west-2.amazonaws.com',
    'anything.email-smtp.us-west-2.amazonaws.com',
    'email-smtp.us-west-2.compute.amazonaws.com',
    '127.0.0.1',
    '',
  ])('%s is not an SES SMTP host', (host) => {
    expect(regionFromHost(host)).toBeUndefined();
  });

  const regionName = fc.oneof(
    fc.stringMatching(/^[a-z]{2}(-[a-z]{1,10}){1,2}-\d{1,2}$/),
    fc.constantFrom(...SES_FIPS_REGIONS),
  );
  test.prop([regionName, fc.boolean()], { numRuns: 300 })('round-trips with sesSmtpHost', (region, fips) => {
    const canFips = SES_FIPS_REGIONS.includes(region);
    expect(regionFromHost(sesSmtpHost(region, { fips: fips && canFips }))).toBe(region);
  });
});

describe('ports', () => {
  it('SES_PORTS: 465/2465 implicit TLS, 25/587/2587 STARTTLS', () => {
    expect(SES_PORTS).toEqual({
      25: 'starttls',
      465: 'implicit',
      587: 'starttls',
      2465: 'implicit',
      2587: 'starttls',
    });
  });

  it.each([
    [465, 'implicit'],
    [2465, 'implicit'],
    [25, 'starttls'],
    [587, 'starttls'],
    [2587, 'starttls'],
    [2525, 'starttls'],
    [0, 'starttls'],
  ] as const)('defaultSecurityForPort(%d) = %s', (port, security) => {
    expect(defaultSecurityForPort(port)).toBe(security);
  });

  it('agrees with SES_PORTS for every SES port', () => {
    for (const [port, security] of Object.entries(SES_PORTS)) {
      expect(defaultSecurityForPort(Number(port))).toBe(security);
    }
  });
});
