/**
 * Default replies of the scripted SMTP server (RFC 5321 §4.1, RFC 3207, RFC 4954) and the state
 * each reply implies. Replies are decided first (default or override), state follows the reply's
 * code, so an override of any verb keeps the server's bookkeeping consistent.
 */

export type ScriptedVerb =
  | 'GREETING'
  | 'EHLO'
  | 'HELO'
  | 'STARTTLS'
  | 'AUTH'
  | 'AUTH_RESPONSE'
  | 'MAIL'
  | 'RCPT'
  | 'DATA'
  | 'DOT'
  | 'BDAT'
  | 'RSET'
  | 'NOOP'
  | 'QUIT'
  | 'UNKNOWN';

export interface AuthProgress {
  readonly mechanism: 'PLAIN' | 'LOGIN';
  readonly step: 'plain' | 'user' | 'pass';
  readonly user?: string;
}

export interface ConnectionState {
  secure: boolean;
  authenticated: boolean;
  auth: AuthProgress | undefined;
  from: string | undefined;
  mailParams: string[];
  to: string[];
  messages: number;
}

export interface ReplyContext {
  readonly state: ConnectionState;
  readonly hostname: string;
  readonly capabilities: readonly string[];
  readonly tlsAvailable: boolean;
  readonly credentials: { user: string; pass: string } | undefined;
  readonly sizeLimit: number | undefined;
  readonly messageId: () => string;
  /** Octets of the DATA content received (for DOT). */
  readonly dataOctets: number;
}

export function verbOf(line: string, state: ConnectionState): ScriptedVerb {
  if (state.auth) return 'AUTH_RESPONSE';
  const word = (line.split(' ', 1)[0] ?? '').toUpperCase();
  switch (word) {
    case 'EHLO':
    case 'HELO':
    case 'STARTTLS':
    case 'AUTH':
    case 'RSET':
    case 'NOOP':
    case 'QUIT':
    case 'DATA':
      return word;
    case 'MAIL':
      return /^MAIL FROM:/i.test(line) ? 'MAIL' : 'UNKNOWN';
    case 'BDAT':
      return bdatOf(line) ? 'BDAT' : 'UNKNOWN';
    case 'RCPT':
      return /^RCPT TO:/i.test(line) ? 'RCPT' : 'UNKNOWN';
    default:
      return 'UNKNOWN';
  }
}

/** RFC 3030 §2: `BDAT <size> [LAST]`. */
export function bdatOf(line: string): { size: number; last: boolean } | undefined {
  const match = /^BDAT ([0-9]{1,15})( LAST)?$/i.exec(line);
  return match ? { size: Number(match[1]), last: match[2] !== undefined } : undefined;
}

function ehloReply(context: ReplyContext): string {
  const lines = [context.hostname, ...context.capabilities];
  return lines.map((text, index) => `250${index === lines.length - 1 ? ' ' : '-'}${text}`).join('\r\n');
}

function pathOf(line: string): { path: string; params: string[] } | undefined {
  const match = /^[A-Z]+ (?:FROM|TO):<([^>]*)>(.*)$/i.exec(line);
  if (!match) return undefined;
  const params = (match[2] ?? '').trim();
  return { path: match[1] ?? '', params: params === '' ? [] : params.split(/ +/) };
}

function decodeBase64(text: string): string {
  return Buffer.from(text, 'base64').toString('utf8');
}

function checkCredentials(context: ReplyContext, user: string, pass: string): string {
  const expected = context.credentials;
  if (expected && (expected.user !== user || expected.pass !== pass)) {
    return '535 5.7.8 Authentication credentials invalid';
  }
  return '235 2.7.0 Authentication successful';
}

function authReply(line: string, context: ReplyContext): string {
  const [, mechanism = '', initial] = line.split(' ');
  switch (mechanism.toUpperCase()) {
    case 'PLAIN': {
      if (initial === undefined) return '334 ';
      const [, user = '', pass = ''] = decodeBase64(initial).split('\0');
      return checkCredentials(context, user, pass);
    }
    case 'LOGIN':
      return initial === undefined ? '334 VXNlcm5hbWU6' : '334 UGFzc3dvcmQ6';
    default:
      return '504 5.5.4 Unrecognized authentication type';
  }
}

function authResponseReply(line: string, context: ReplyContext): string {
  const auth = context.state.auth;
  if (line === '*') return '501 5.7.0 Authentication cancelled';
  if (!auth) return '503 5.5.1 No authentication in progress';
  if (auth.step === 'plain') {
    const [, user = '', pass = ''] = decodeBase64(line).split('\0');
    return checkCredentials(context, user, pass);
  }
  if (auth.step === 'user') return '334 UGFzc3dvcmQ6';
  return checkCredentials(context, auth.user ?? '', decodeBase64(line));
}

function mailReply(line: string, context: ReplyContext): string {
  if (context.state.from !== undefined) return '503 5.5.1 Error: nested MAIL command';
  const parsed = pathOf(line);
  if (!parsed) return '501 5.5.4 Syntax: MAIL FROM:<address>';
  const size = parsed.params.find((param) => /^SIZE=/i.test(param));
  if (size && context.sizeLimit !== undefined && Number(size.slice(5)) > context.sizeLimit) {
    return '552 5.3.4 Message size exceeds fixed limit';
  }
  return '250 2.1.0 Ok';
}

/** The reply the server gives when no override is set. */
export function defaultReply(verb: ScriptedVerb, line: string, context: ReplyContext): string {
  const { state } = context;
  switch (verb) {
    case 'GREETING':
      return `220 ${context.hostname} ESMTP scripted`;
    case 'EHLO':
      return ehloReply(context);
    case 'HELO':
      return `250 ${context.hostname}`;
    case 'STARTTLS':
      if (state.secure) return '503 5.5.1 Error: TLS already active';
      return context.tlsAvailable ? '220 2.0.0 Ready to start TLS' : '454 4.7.0 TLS not available';
    case 'AUTH':
      return state.authenticated ? '503 5.5.1 Error: already authenticated' : authReply(line, context);
    case 'AUTH_RESPONSE':
      return authResponseReply(line, context);
    case 'MAIL':
      return mailReply(line, context);
    case 'RCPT':
      if (state.from === undefined) return '503 5.5.1 Error: need MAIL command';
      return pathOf(line) ? '250 2.1.5 Ok' : '501 5.5.4 Syntax: RCPT TO:<address>';
    case 'DATA':
      if (state.to.length === 0) return '503 5.5.1 Error: need RCPT command';
      return '354 End data with <CR><LF>.<CR><LF>';
    case 'DOT':
      if (context.sizeLimit !== undefined && context.dataOctets > context.sizeLimit) {
        return '552 5.3.4 Message size exceeds fixed limit';
      }
      return `250 Ok ${context.messageId()}`;
    case 'BDAT': {
      if (state.to.length === 0) return '503 5.5.1 Error: need RCPT command';
      if (context.sizeLimit !== undefined && context.dataOctets > context.sizeLimit) {
        return '552 5.3.4 Message size exceeds fixed limit';
      }
      const chunk = bdatOf(line);
      return chunk?.last ? `250 Ok ${context.messageId()}` : `250 2.0.0 ${chunk?.size ?? 0} octets received`;
    }
    case 'RSET':
    case 'NOOP':
      return '250 2.0.0 Ok';
    case 'QUIT':
      return '221 2.0.0 Bye';
    case 'UNKNOWN':
      return '500 5.5.2 Error: command not recognized';
  }
}

/** Updates the connection state after `reply` was chosen for `line`. */
export function applyReply(
  verb: ScriptedVerb,
  line: string,
  reply: string | null,
  state: ConnectionState,
): void {
  const code = reply === null ? 0 : Number(reply.slice(0, 3));
  const positive = code >= 200 && code < 400;
  switch (verb) {
    case 'AUTH': {
      const mechanism = (line.split(' ')[1] ?? '').toUpperCase();
      if (code === 334 && (mechanism === 'PLAIN' || mechanism === 'LOGIN')) {
        const withUser = mechanism === 'LOGIN' && line.split(' ')[2] !== undefined;
        state.auth = {
          mechanism,
          step: mechanism === 'PLAIN' ? 'plain' : withUser ? 'pass' : 'user',
          ...(withUser ? { user: decodeBase64(line.split(' ')[2] ?? '') } : {}),
        };
      }
      finishAuth(code, state);
      return;
    }
    case 'AUTH_RESPONSE':
      if (code === 334 && state.auth?.step === 'user') {
        state.auth = { mechanism: 'LOGIN', step: 'pass', user: decodeBase64(line) };
        return;
      }
      state.auth = undefined;
      finishAuth(code, state);
      return;
    case 'MAIL':
      if (positive) {
        state.from = pathOf(line)?.path ?? '';
        state.mailParams = pathOf(line)?.params ?? [];
        state.to = [];
      }
      return;
    case 'RCPT':
      if (positive) state.to.push(pathOf(line)?.path ?? '');
      return;
    case 'BDAT':
      // RFC 3030 §2: the LAST chunk ends the transaction, as the dot does; a refused chunk fails it.
      if (bdatOf(line)?.last !== true && positive) return;
      state.from = undefined;
      state.mailParams = [];
      state.to = [];
      if (positive) state.messages += 1;
      return;
    case 'DOT':
    case 'RSET':
    case 'EHLO':
    case 'HELO':
      state.from = undefined;
      state.mailParams = [];
      state.to = [];
      if (verb === 'DOT' && positive) state.messages += 1;
      return;
    default:
      return;
  }
}

function finishAuth(code: number, state: ConnectionState): void {
  if (code === 235) {
    state.authenticated = true;
    state.auth = undefined;
  } else if (code !== 334) {
    state.auth = undefined;
  }
}
