import { createTransport } from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SES_MESSAGE_ID_PATTERN } from '../../../src/ses/simulator/message-id.js';
import { type SesSimulator, startSesSimulator } from '../../../src/ses/simulator/simulator.js';

// A widely used third-party client must get through the simulator on both ports.
describe('nodemailer against the simulator', () => {
  let sim: SesSimulator;
  beforeAll(async () => {
    sim = await startSesSimulator({ verifiedIdentities: ['example.com'] });
  });
  afterAll(() => sim.close());

  it.each(['starttls', 'implicit'] as const)(
    'delivers over %s TLS and sees the SES message id',
    async (mode) => {
      const user = sim.users[0]!;
      const transport = createTransport({
        host: sim.host,
        port: mode === 'implicit' ? sim.tlsPort : sim.starttlsPort,
        secure: mode === 'implicit',
        requireTLS: mode === 'starttls',
        auth: { user: user.user, pass: user.pass },
        tls: { ca: sim.caPem, servername: 'localhost' },
      });
      const info = await transport.sendMail({
        from: 'sender@example.com',
        to: 'success@simulator.amazonses.com',
        subject: mode,
        text: 'hello',
      });
      transport.close();
      const id = info.response.replace(/^250 Ok /, '');
      expect(id).toMatch(SES_MESSAGE_ID_PATTERN);
      expect(sim.messages.at(-1)?.id).toBe(id);
    },
  );

  it('surfaces the sandbox 554 to the client', async () => {
    const user = sim.users[0]!;
    const transport = createTransport({
      host: sim.host,
      port: sim.tlsPort,
      secure: true,
      auth: { user: user.user, pass: user.pass },
      tls: { ca: sim.caPem, servername: 'localhost' },
    });
    await expect(
      transport.sendMail({ from: 'sender@example.com', to: 'someone@else.test', text: 'x' }),
    ).rejects.toMatchObject({ responseCode: 554 });
    transport.close();
  });
});
