/**
 * A Session driven by your own transport writes DATA unless you opt in to BDAT (`chunking: true`):
 * BDAT asks the transport for more (announcing each chunk of a stream with bodyChunk(), writing a
 * body unstuffed and unterminated), and a transport that writes a BDAT body as it would a DATA one
 * sends its lines as commands. createClient's transport does all that, and turns BDAT on by default.
 */
import { describe, expect, test } from 'vitest';
import { Session, type SessionEffect } from '../../src/session/session.js';

const CHUNKING = '250-mx.example\r\n250-PIPELINING\r\n250 CHUNKING\r\n';

function drive(options: { chunking?: boolean }): SessionEffect[] {
  const effects: SessionEffect[] = [];
  const session = new Session({ clientName: 'client.example', security: 'none', ...options }, (e) =>
    effects.push(e),
  );
  session.connected();
  session.receive(new TextEncoder().encode('220 mx.example ESMTP\r\n'));
  session.receive(new TextEncoder().encode(CHUNKING));
  session.send({ from: 'a@example.com', to: ['b@example.org'], body: 'x' }).catch(() => {});
  session.receive(new TextEncoder().encode('250 ok\r\n250 ok\r\n354 go\r\n'));
  return effects;
}

const writes = (effects: SessionEffect[]) =>
  effects.flatMap((e) => (e.type === 'write' ? [new TextDecoder().decode(e.bytes)] : []));

describe('Session: chunking is opt-in', () => {
  test('without the option, a server offering CHUNKING still gets DATA', () => {
    const effects = drive({});
    expect(writes(effects).join('')).toContain('DATA\r\n');
    expect(effects.find((e) => e.type === 'writeBody')).toMatchObject({ transfer: 'data' });
  });

  test('with chunking: true, BDAT', () => {
    const effects = drive({ chunking: true });
    expect(writes(effects).join('')).not.toContain('DATA\r\n');
    expect(effects.find((e) => e.type === 'writeBody')).toMatchObject({ transfer: 'bdat' });
  });
});
