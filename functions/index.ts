import type { Gateway } from '../shared/compose.js';
import { TRIGGER_TABLE } from '../shared/triggers.js';
import { createRoutes, noSuchRoute } from './routes.js';
import { app } from './sdk.js';
import { registerTriggers } from './triggers.js';

/** The Azure Functions entry point: registers the route table. */
let gateway: Promise<Gateway> | undefined;
// Built once per worker and reused across invocations so pools and preparsed policies stay warm.
// The composition root (Cosmos DB, identity, Service Bus SDKs) is imported on first use, not at
// load: the worker registers its functions sooner, and the bundle splits it into its own chunk.
const getGateway = () => {
  gateway ??= import('./runtime.js')
    .then((m) => m.createAzureGateway())
    .catch((e: unknown) => {
      gateway = undefined;
      throw e;
    });
  return gateway;
};

export const routes = createRoutes(getGateway);

// host.json sets no route prefix, so that MCP and its OAuth metadata can sit at the root;
// the REST rows get their `api/` here.
for (const r of routes) {
  const route = r.root ? r.route : `api/${r.route}`;
  app.http(r.name, { methods: r.methods, route, authLevel: r.authLevel, handler: r.handler });
}
app.http(noSuchRoute.name, {
  methods: noSuchRoute.methods,
  route: `api/${noSuchRoute.route}`,
  authLevel: noSuchRoute.authLevel,
  handler: noSuchRoute.handler,
});

/**
 * Triggers are declared by the gateway's trigger table. The table's rows are known without
 * settings (they name schedules and queues, not adapters), so they are registered at load.
 */
export const triggers = registerTriggers(TRIGGER_TABLE, getGateway);

/**
 * Loads what the bundle must carry (Cedar and libpg-query WASM, the shipped policies) so a
 * test, or an operator after deploy, can prove the package is complete without Azure.
 */
export async function selfCheck(): Promise<{ policies: number; parsed: string; stamped: boolean }> {
  const [{ loadPolicyEngine }, { analyseStatement }, { DEFAULT_POLICY_DIR }] = await Promise.all([
    import('../shared/policy/index.js'),
    import('../shared/sql/analyse.js'),
    import('./policy-dir.js'),
  ]);
  // As the gateway starts (runtime.ts): the parser's WASM compiles while the policies load.
  const parsed = analyseStatement('postgres', 'select 1');
  let stamped = false;
  const engine = await loadPolicyEngine(DEFAULT_POLICY_DIR, undefined, {
    trustStamp: true,
    applied: (applied) => {
      stamped = applied;
    },
  });
  const facts = await parsed;
  return { policies: engine.policyIds().length, parsed: facts.effect, stamped };
}
