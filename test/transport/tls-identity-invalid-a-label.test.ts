import { describe, expect, it } from 'vitest';
import { buildTlsOptions } from '../../src/transport/tls-options.js';

// A host whose name is not valid IDNA (an xn-- label that does not decode) has no other ASCII form:
// Node's domainToASCII gives '' for it, and the name itself stays the SNI and the identity checked,
// never an empty name.
describe('TLS identity: a host name domainToASCII refuses', () => {
  it('is sent as SNI as it is', () => {
    expect(buildTlsOptions('xn--zz.example').servername).toBe('xn--zz.example');
    expect(buildTlsOptions('smtp.example', { servername: 'xn--a.example' }).servername).toBe('xn--a.example');
  });
});
