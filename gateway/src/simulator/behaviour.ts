/**
 * Plausible physical behaviour of the simulated devices, with seeded randomness and simulated time
 * (each model is advanced to a `now` passed in, so a past week takes as long as it takes to compute).
 */
export { Battery, type Chemistry, alkalineAaaPair, lithiumThionylChloride } from './behaviour/battery.js';
export { copenhagenOffsetMs, DAY_MS, HOUR_MS, localTime, MINUTE_MS, outdoorTemperatureC } from './behaviour/calendar.js';
export { Door, type DoorParams, type DoorState, randomDoorParams } from './behaviour/door.js';
export { HeatMeter, type HeatMeterParams, type HeatMeterState, randomHeatMeterParams } from './behaviour/heat-meter.js';
export { PulseMeter, type PulseMeterParams, type PulseMeterState, randomPulseMeterParams } from './behaviour/pulse-meter.js';
export { RadioLink, type RadioSample, type Reception } from './behaviour/radio.js';
export { SteppedModel } from './behaviour/stepped.js';
export {
  randomWasteContainerParams,
  WasteContainer,
  type WasteContainerParams,
  type WasteContainerState,
  type WasteFraction,
  wasteFractions,
} from './behaviour/waste-container.js';
export { randomWaterBasinParams, WaterBasin, type WaterBasinParams, type WaterBasinState } from './behaviour/water-basin.js';
export { leakStatus, randomWaterMeterParams, WaterMeter, type WaterMeterParams, type WaterMeterState } from './behaviour/water-meter.js';
