/**
 * The AUTH step of `smtp-machine check` (RFC 4954): PLAIN with an initial response (RFC 4616), else
 * LOGIN. The credentials go only to the socket; results and errors never contain them.
 */
import type { Capabilities } from '../../protocol/capabilities.js';
import type { Reply } from '../../protocol/reply-types.js';
import type { Conversation } from '../smtp-probe.js';

export type AuthResult =
  | { readonly ok: true; readonly mechanism: string }
  | { readonly ok: false; readonly problem: string; readonly reply?: Reply };

const b64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');

export async function authenticate(
  conversation: Conversation,
  caps: Capabilities,
  credentials: { readonly user: string; readonly pass: string },
  timeoutMs: number,
): Promise<AuthResult> {
  const { user, pass } = credentials;
  try {
    if (caps.auth.includes('PLAIN')) {
      const reply = await conversation.command(
        { verb: 'AUTH', mechanism: 'PLAIN', initialResponse: b64(`\0${user}\0${pass}`) },
        timeoutMs,
      );
      return reply.code === 235 ? { ok: true, mechanism: 'PLAIN' } : refused(reply);
    }
    if (caps.auth.includes('LOGIN')) {
      let reply = await conversation.command({ verb: 'AUTH', mechanism: 'LOGIN' }, timeoutMs);
      if (reply.code !== 334) return refused(reply);
      reply = await conversation.command({ verb: 'AUTH_RESPONSE', data: b64(user) }, timeoutMs);
      if (reply.code !== 334) return refused(reply);
      reply = await conversation.command({ verb: 'AUTH_RESPONSE', data: b64(pass) }, timeoutMs);
      return reply.code === 235 ? { ok: true, mechanism: 'LOGIN' } : refused(reply);
    }
  } catch (error) {
    return { ok: false, problem: `AUTH failed: ${error instanceof Error ? error.message : String(error)}` };
  }
  const offered = caps.auth.length > 0 ? caps.auth.join(' ') : 'nothing';
  return {
    ok: false,
    problem: `the server offers no AUTH mechanism this check supports (it offers ${offered})`,
  };
}

function refused(reply: Reply): AuthResult {
  return { ok: false, problem: `refused with ${reply.code}`, reply };
}
