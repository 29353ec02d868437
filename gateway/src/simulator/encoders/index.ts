/**
 * Payload encoders for the eight firmware profiles: a device's state (in the units of the record
 * fields, at the device's resolution) to the uplink the device sends. Each is the exact inverse of
 * its profile's layout; values the layout cannot carry are refused with a RangeError.
 */
import { encodeQalcosonicW1 } from './axioma-qalcosonic-w1.js';
import { encodeLdds75 } from './dragino-ldds75.js';
import { encodeLds02 } from './dragino-lds02.js';
import { encodeCmi4110 } from './elvaco-cmi4110.js';
import { encodeEm300Di } from './milesight-em300-di.js';
import { encodeEm310Udl } from './milesight-em310-udl.js';
import { encodeEm500Swl } from './milesight-em500-swl.js';
import { encodeWs301 } from './milesight-ws301.js';

export type { EncodedUplink } from './bytes.js';
export { encodeQalcosonicW1, type QalcosonicW1State } from './axioma-qalcosonic-w1.js';
export { encodeLdds75, type Ldds75State } from './dragino-ldds75.js';
export { encodeLds02, type Lds02State } from './dragino-lds02.js';
export { encodeCmi4110, type Cmi4110State } from './elvaco-cmi4110.js';
export { encodeEm300Di, type Em300DiState } from './milesight-em300-di.js';
export { encodeEm310Udl, type Em310UdlState } from './milesight-em310-udl.js';
export { encodeEm500Swl, type Em500SwlState } from './milesight-em500-swl.js';
export { encodeWs301, type Ws301State } from './milesight-ws301.js';

/** Encoder by profile id. */
export const encoders = {
  'milesight-em310-udl': encodeEm310Udl,
  'milesight-em500-swl': encodeEm500Swl,
  'milesight-em300-di': encodeEm300Di,
  'milesight-ws301': encodeWs301,
  'dragino-ldds75': encodeLdds75,
  'dragino-lds02': encodeLds02,
  'elvaco-cmi4110': encodeCmi4110,
  'axioma-qalcosonic-w1': encodeQalcosonicW1,
} as const;

/** The profiles the simulator can play. */
export type SimulatedProfileId = keyof typeof encoders;
export const simulatedProfileIds = Object.keys(encoders) as SimulatedProfileId[];

/** The state an encoder takes. */
export type EncoderState<P extends SimulatedProfileId> = Parameters<(typeof encoders)[P]>[0];
