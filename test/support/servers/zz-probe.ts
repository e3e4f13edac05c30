import { createTestCertificates } from '../../../src/testing/certificates.js';
import * as pf from './postfix.js';

const certs = await createTestCertificates();
const p = await pf.start({ tls: certs.server });
await p.stop();
