import type { FastifyInstance } from 'fastify';
import type { z } from 'zod';
import { HttpError } from '../api/errors.js';
import type { Clock } from '../clock.js';
import type { GatewayHealth, GatewayHealthRepository } from '../db/gateway-health.js';
import type { EntityOf, RegistryRepository } from '../registry/repository.js';
import type { TimeSeriesStore } from '../store/time-series-store.js';
import { deviceHealthPage } from './device-health.js';
import { gatewayState, type HealthThresholds } from './health-state.js';
import { deviceHealthPageSchema, deviceHealthQuery, errorBody, gatewayHealthView, gatewayParams } from './query-schemas.js';
import { kommuneOf, listAll, readerRoute, storeQuery } from './route-helpers.js';

/** Gateway and device health for the kommune's users (driftsstatus). */
export function healthRoutes(
  app: FastifyInstance,
  options: { store: TimeSeriesStore; registry: RegistryRepository; gatewayHealth: GatewayHealthRepository; clock: Clock; thresholds: HealthThresholds },
): void {
  const { store, registry, gatewayHealth, clock, thresholds } = options;

  const gatewayView = (gatewayId: string, entry: EntityOf<'gateways'> | undefined, health: GatewayHealth | undefined, now: Date) => {
    const { kommune: _kommune, gatewayId: _gatewayId, ...rest } = health ?? ({} as Partial<GatewayHealth>);
    return {
      gatewayId,
      name: entry?.name ?? null,
      siteId: entry?.siteId ?? null,
      registered: entry !== undefined,
      ...gatewayState(health, now, thresholds),
      health: health ? rest : null,
    };
  };

  app.get(
    '/api/v1/gateways/health',
    readerRoute('health', {
      summary: "The kommune's gateways and their state (gateways: online, forsinket, offline, aldrig set)",
      description: 'Registry gateways that never reported are never-seen; gateways that report without a registry entry are listed too. Ordered by gatewayId.',
      response: { 200: gatewayHealthView.array() },
    }),
    async (request) => {
      const kommune = kommuneOf(request);
      const now = clock();
      const entries = new Map(listAll(registry, kommune, 'gateways').map((gateway) => [gateway.id, gateway]));
      const healths = new Map(gatewayHealth.list(kommune).map((health) => [health.gatewayId, health]));
      const ids = [...new Set([...entries.keys(), ...healths.keys()])].sort();
      return ids.map((id) => gatewayView(id, entries.get(id), healths.get(id), now));
    },
  );

  app.get(
    '/api/v1/gateways/:gatewayId/health',
    readerRoute('health', {
      summary: "One gateway's state (gatewayens driftsstatus)",
      params: gatewayParams,
      response: { 200: gatewayHealthView, 404: errorBody },
    }),
    async (request) => {
      const kommune = kommuneOf(request);
      const { gatewayId } = request.params as z.infer<typeof gatewayParams>;
      const entry = registry.get(kommune, 'gateways', gatewayId);
      const health = gatewayHealth.get(kommune, gatewayId);
      if (!entry && !health) throw new HttpError(404, `no gateway ${gatewayId}`);
      return gatewayView(gatewayId, entry, health, clock());
    },
  );

  app.get(
    '/api/v1/devices/health',
    readerRoute('health', {
      summary: "The kommune's registered devices with their newest record: last seen, quality, battery, signal (sensorernes driftsstatus)",
      description: 'Devices in deviceKey order; page with afterId = the previous answer\'s next. Devices never heard from are never-seen.',
      querystring: deviceHealthQuery,
      response: { 200: deviceHealthPageSchema, 400: errorBody },
    }),
    async (request) => {
      const query = request.query as z.infer<typeof deviceHealthQuery>;
      return storeQuery(() =>
        deviceHealthPage({
          store,
          registry,
          kommune: kommuneOf(request),
          now: clock(),
          thresholds,
          filter: { gatewayId: query.gatewayId, siteId: query.siteId, state: query.state },
          afterId: query.afterId,
          limit: query.limit,
        }),
      );
    },
  );
}
