/**
 * SES checks an SMTP password against the region of the endpoint dialled, so `--region` naming one
 * region and a host that is another region's SES endpoint cannot both be meant: resolveConnection
 * refuses the pair as a usage error (exit 64) before anything connects or a password is read,
 * instead of dialling one region and advising about the other after a 535. A region that agrees, or
 * a host that names no region (a proxy, a tunnel, the simulator), is taken. Nothing here dials.
 */
import { Readable } from 'node:stream';
import { describe, expect, test } from 'vitest';
import { CliError } from '../../src/cli/args.js';
import { resolveConnection } from '../../src/cli/connection.js';
import type { CliIo } from '../../src/cli/output.js';

const sink = { write: () => true };
const io: CliIo = {
  stdin: Readable.from([]),
  stdout: sink,
  stderr: sink,
  env: {},
  signal: new AbortController().signal,
} as unknown as CliIo;

const resolve = (values: Record<string, string>) => resolveConnection(values, io);

describe('--region against an SES host of another region', () => {
  test.each([
    'email-smtp.us-east-1.amazonaws.com',
    'email-smtp-fips.us-east-1.amazonaws.com',
    'vpce-0123456789abcdef0-abcdefgh.email-smtp.us-east-1.vpce.amazonaws.com',
    'email-smtp.us-east-1.amazonaws.com:2587',
  ])('--region eu-west-1 --host %s is a usage error naming both regions', async (host) => {
    const error = await resolve({ region: 'eu-west-1', host }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(CliError);
    expect((error as CliError).exitCode).toBe(64);
    expect((error as Error).message).toBe(
      `--region eu-west-1 does not match the SES endpoint's region us-east-1 (${host.replace(/:\d+$/, '')}): SES checks the password against the region dialled`,
    );
  });

  test('the same region, a host naming none, or either alone is taken', async () => {
    await expect(
      resolve({ region: 'us-east-1', host: 'email-smtp.us-east-1.amazonaws.com' }),
    ).resolves.toMatchObject({
      host: 'email-smtp.us-east-1.amazonaws.com',
      region: 'us-east-1',
    });
    await expect(resolve({ region: 'eu-west-1', host: 'smtp-proxy.internal' })).resolves.toMatchObject({
      host: 'smtp-proxy.internal',
      region: 'eu-west-1',
    });
    await expect(resolve({ host: 'email-smtp.us-east-1.amazonaws.com' })).resolves.toMatchObject({
      region: 'us-east-1',
    });
    await expect(resolve({ region: 'eu-west-1' })).resolves.toMatchObject({
      host: 'email-smtp.eu-west-1.amazonaws.com',
    });
  });
});
