// A route group: an OpenAPIHono sub-app that api/app.ts mounts under its base path with
// app.route(). Definitions keep their full paths (one source for the OpenAPI document),
// so a group registers each one relative to its base; a definition outside the base is
// a programming error caught at start-up.
import { OpenAPIHono } from '@hono/zod-openapi';
import { throwOnInvalid } from '../errors.js';

/** A sub-app that answers invalid requests like the main app (400 invalid-request). */
export function routeGroup(): OpenAPIHono {
  return new OpenAPIHono({ defaultHook: throwOnInvalid });
}

/** The definition with its path relative to `base`, for registering in a group mounted there. */
export function relativeTo<R extends { path: string }>(base: string, route: R): R {
  if (!route.path.startsWith(`${base}/`)) throw new Error(`route ${route.path} is not under ${base}`);
  return { ...route, path: route.path.slice(base.length) };
}
