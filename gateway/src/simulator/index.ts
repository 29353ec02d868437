/** Simulated LoRaWAN devices of the eight profiles, for demos and tests (see simulator.ts). */
export { type EncodedUplink, encoders, type EncoderState, type SimulatedProfileId, simulatedProfileIds } from './encoders/index.js';
export { chirpstackUp, ttsUp, type UplinkFrame } from './envelopes.js';
export { type PublishableUplink, type PublishOptions, type PublishResult, publishSimulation } from './publisher.js';
export {
  createSimulator,
  type NetworkServer,
  type SimulatedDevice,
  type SimulatedUplink,
  type Simulator,
  type SimulatorOptions,
} from './simulator.js';
