import { fileURLToPath } from 'node:url';

/**
 * The shipped policies. Resolved relative to this module so the same line works from sources
 * and from the bundle (dist/functions/*.js next to dist/policies/). A module of its own so the
 * self-check can find the policies without loading the composition root.
 */
export const DEFAULT_POLICY_DIR = fileURLToPath(new URL('../policies/', import.meta.url));
