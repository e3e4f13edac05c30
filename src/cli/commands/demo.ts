/** placeholder */
import type { CliCommand } from './command.js';

export const demoCommand: CliCommand = {
  name: 'demo',
  summary: 'todo',
  help: 'todo',
  run: async () => 70,
};
