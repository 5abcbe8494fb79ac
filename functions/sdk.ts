import functions from '@azure/functions';

/**
 * `@azure/functions` is CommonJS and Node's ESM loader cannot see all of its named exports
 * (HttpRequest and InvocationContext among them), so they are taken from the default export
 * here, once, with their types.
 */
export const HttpRequest = functions.HttpRequest;
export type HttpRequest = import('@azure/functions').HttpRequest;
export const InvocationContext = functions.InvocationContext;
export type InvocationContext = import('@azure/functions').InvocationContext;
export const app = functions.app;
