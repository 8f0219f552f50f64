#!/usr/bin/env node
// The jobdeck command as earlier versions installed it (service units and
// scripts may name this file): the command itself is jobdeck.cjs beside it.
import { createRequire } from 'node:module';

createRequire(import.meta.url)('./jobdeck.cjs');
