/** placeholder */
import type { CliCommand } from './command.js';

export const sendCommand: CliCommand = {
  name: 'send',
  summary: 'todo',
  help: 'todo',
  run: async () => 70,
};
