// The middleware a documented route runs before its validators: the role its
// definition names in `x-duckmig-role`, then anything route-specific (rate limit).
import type { MiddlewareHandler } from 'hono';
import type { Role } from '../../contract/index.js';
import { requireRole } from '../auth.js';

export function guards(route: { 'x-duckmig-role': Role }, ...extra: MiddlewareHandler[]): MiddlewareHandler[] {
  return [requireRole(route['x-duckmig-role']), ...extra];
}
