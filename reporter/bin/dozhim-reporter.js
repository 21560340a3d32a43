#!/usr/bin/env node
// Thin launcher: committed so npm can link the bin before the TypeScript build exists.
import '../dist/bin.js';
