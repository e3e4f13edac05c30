/**
 * `smtp-machine password`: derives the Amazon SES SMTP password from an IAM secret access key
 * (SigV4, or legacy V2 with --v2). The secret comes from AWS_SECRET_ACCESS_KEY or stdin only.
 */
import { isSesRegionSyntax } from '../../ses/endpoints.js';
import { deriveSesSmtpPassword, deriveSesSmtpPasswordV2 } from '../../ses/password.js';
import { COMMON_OPTIONS, parseCommandArgs, usageError } from '../args.js';
import { ExitCodes } from '../exit-codes.js';
import { jsonHelp, PASSWORD_JSON } from '../json-shapes.js';
import { type CliIo, Output } from '../output.js';
import { readStdinSecret } from '../secrets.js';
import { type CliCommand, printedHelp } from './command.js';

const OPTIONS = {
  ...COMMON_OPTIONS,
  region: { type: 'string' },
  v2: { type: 'boolean' },
  stdin: { type: 'boolean' },
} as const;

const HELP = `Usage: smtp-machine password --region REGION [--v2] [--stdin] [--json]

Prints the Amazon SES SMTP password derived from an IAM secret access key.
The SMTP user name is the access key id (AWS_ACCESS_KEY_ID).

The secret is AWS_SECRET_ACCESS_KEY when it is set, else read from stdin (to end of input);
--stdin reads stdin even when the variable is set. It is never accepted as a flag and never printed.

Options:
  --region REGION  SES region the password is for (e.g. eu-west-1); required unless --v2
  --v2             legacy region-independent (Signature V2) password; deprecated by AWS
  --stdin          read the secret from stdin, ignoring AWS_SECRET_ACCESS_KEY
  --json           print {"user","region","algorithm","password"} as JSON
  -h, --help       show this help

Examples:
  printf %s "$SECRET" | smtp-machine password --region eu-west-1
  AWS_SECRET_ACCESS_KEY=... smtp-machine password --region us-east-1 --json

${jsonHelp(PASSWORD_JSON)}`;

/**
 * The variable first: a stdin that is not a terminal is not necessarily piped (a CI runner, a
 * supervisor) and may never close, so it is read only when asked (--stdin) or needed (no variable).
 */
async function readSecret(io: CliIo, stdinRequested: boolean): Promise<string> {
  const fromEnv = io.env.AWS_SECRET_ACCESS_KEY?.trim();
  if (!stdinRequested && fromEnv !== undefined && fromEnv !== '') return fromEnv;
  if (io.stdin.isTTY !== true) {
    const piped = (await readStdinSecret(io.stdin, 'the secret access key', io.signal)).trim();
    if (piped !== '') return piped;
  }
  throw usageError('no secret access key: pipe it on stdin or set AWS_SECRET_ACCESS_KEY', [
    'printf %s "$AWS_SECRET_ACCESS_KEY" | smtp-machine password --region eu-west-1',
  ]);
}

async function run(argv: readonly string[], io: CliIo): Promise<number> {
  const { values } = parseCommandArgs(argv, OPTIONS);
  if (printedHelp(values.help, HELP, io)) return ExitCodes.OK;
  const output = new Output(io, values.json === true);
  const v2 = values.v2 === true;
  const region = values.region;
  if (!v2 && region === undefined) throw usageError('--region is required (SMTP passwords are per region)');
  if (region !== undefined && !isSesRegionSyntax(region)) {
    throw usageError('--region must be an AWS region name such as eu-west-1');
  }
  const secret = await readSecret(io, values.stdin === true);
  const password = v2 ? deriveSesSmtpPasswordV2(secret) : deriveSesSmtpPassword(secret, region as string);
  const user = io.env.AWS_ACCESS_KEY_ID;
  output.result(
    {
      ...(user === undefined ? {} : { user }),
      region: v2 ? null : region,
      algorithm: v2 ? 'v2' : 'v4',
      password,
    },
    () => password,
  );
  if (v2 && !output.json) output.note('note: V2 SMTP passwords are deprecated by AWS; prefer --region');
  return ExitCodes.OK;
}

export const passwordCommand: CliCommand = {
  name: 'password',
  summary: 'derive the Amazon SES SMTP password from a secret access key (stdin or env)',
  help: HELP,
  run,
};
