#!/usr/bin/env node
// The CLI is TypeScript; tsx compiles it on the fly so the same sources serve dev and tests.
import { register } from 'tsx/esm/api';

register();
await import('../cli/main.ts');
