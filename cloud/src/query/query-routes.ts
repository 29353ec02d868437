import type { CloudRoutes } from '../app.js';
import type { RegistryRepository } from '../registry/repository.js';
import type { TimeSeriesStore } from '../store/time-series-store.js';
import { defaultHealthThresholds, type HealthThresholds } from './health-state.js';
import { healthRoutes } from './health-routes.js';
import { latestRoutes } from './latest-routes.js';
import { rangeRoutes } from './range-routes.js';

export interface QueryRoutesOptions {
  store: TimeSeriesStore;
  registry: RegistryRepository;
  /** When gateways and devices count as late or offline; defaults in health-state.ts. */
  thresholds?: Partial<HealthThresholds>;
}

/**
 * The query API for the kommune's users (read by every role, scoped to the caller's kommune):
 * latest state, ranges in buckets, gateway and device health. The clock and the gateway health
 * table come from the app's services.
 *
 *   const registry = registryRoutes(database);
 *   buildCloudApp({ …, routes: [registry.routes, queryRoutes({ store, registry: registry.repository })] });
 */
export function queryRoutes(options: QueryRoutesOptions): CloudRoutes {
  const thresholds = { ...defaultHealthThresholds, ...options.thresholds };
  return (app, services) => {
    const { store, registry } = options;
    latestRoutes(app, { store, registry });
    rangeRoutes(app, { store, registry, clock: services.clock });
    healthRoutes(app, { store, registry, gatewayHealth: services.repositories.gatewayHealth, clock: services.clock, thresholds });
  };
}
