/**
 * The optional peer dependencies of the SES simulator and the test certificates (smtp-server,
 * selfsigned): a missing one is a typed usage error that names it and says how to install both.
 */
import { ErrorCodes } from '../errors/codes.js';
import { SmtpUsageError } from '../errors/smtp-error.js';

export type PeerDependency = 'smtp-server' | 'selfsigned';

export function peerDependencyMissing(peer: PeerDependency, needs: string, cause: unknown): SmtpUsageError {
  return new SmtpUsageError({
    code: ErrorCodes.DEPENDENCY_MISSING,
    message: `${needs} needs the optional peer dependency "${peer}" (npm install smtp-server selfsigned)`,
    field: peer,
    cause,
  });
}
