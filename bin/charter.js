#!/usr/bin/env node
// Entry point of the `charter` command. Node >= 22.18 runs the TypeScript sources directly (type stripping).
import { main } from '../src/cli/main.ts';

// `charter can ... | head` closes the pipe early: that is not an error.
process.stdout.on('error', (error) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw error;
});

process.exitCode = await main(process.argv.slice(2));
