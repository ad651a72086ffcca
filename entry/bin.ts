#!/usr/bin/env node
/** `okta-soar` (package.json bin). */
import { runAsProcess } from '../integration/faces/cli/process.js';
import { main } from './cli.js';

runAsProcess(main);
