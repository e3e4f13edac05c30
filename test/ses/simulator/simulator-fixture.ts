/**
 * Simulators for one test file: started on shared test certificates (made once per file) and
 * closed after each test, so a failing test leaves no listener behind.
 */
import { afterEach, beforeAll } from 'vitest';
import {
  type SesSimulator,
  type SesSimulatorOptions,
  startSesSimulator,
} from '../../../src/ses/simulator/simulator.js';
import { createTestCertificates, type TestCertificates } from '../../../src/testing/certificates.js';

/** Registers the hooks; the returned `start` merges its options over `defaults`. */
export function useSimulators(
  defaults: SesSimulatorOptions,
): (options?: SesSimulatorOptions) => Promise<SesSimulator> {
  let certificates: TestCertificates;
  const running: SesSimulator[] = [];
  beforeAll(async () => {
    certificates = await createTestCertificates();
  });
  afterEach(async () => {
    await Promise.all(running.splice(0).map((sim) => sim.close()));
  });
  return async (options = {}) => {
    const sim = await startSesSimulator({ certificates, ...defaults, ...options });
    running.push(sim);
    return sim;
  };
}
