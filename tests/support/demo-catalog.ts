/** The embedded demo's catalog, as the CLI's offline checks use it. */
export { DEMO_CATALOG, DEMO_TABLES } from '../../cli/dev/demo-catalog.js';
