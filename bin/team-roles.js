#!/usr/bin/env node
// Built by `npm run build` (run automatically by `npm ci`/`npm install` through `prepare`).
require('../lib/client/cli.js').runCli();
