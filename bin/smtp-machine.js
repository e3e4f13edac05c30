#!/usr/bin/env node
// Launcher for the published package: the CLI is compiled to dist/ by `npm run build`.
import { main } from '../dist/cli/main.js';

await main();
