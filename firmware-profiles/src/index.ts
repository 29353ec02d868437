export { CompiledProfile, type DecodeInput, type DecodeOutcome, type JsonDecodeInput, type PreparedParams } from './compile/compile-profile.js';
export type { DeviceParams } from './compile/derive.js';
export type { Decoded, DecodeFailureCode, Observation, UndecodedBytes } from './compile/observation.js';
export { ProfileError, type ProfileProblem } from './compile/profile-error.js';
export type { Profile, ProfileVector } from './format/profile-schema.js';
export { checkVector, compareExpected, decodeVector, flattenObservation, vectorLabel } from './load/check-vector.js';
export { loadProfileFile, loadProfiles, type LoadedProfiles } from './load/load-profiles.js';
export { defaultProfilesDir, packageRoot } from './load/profiles-dir.js';
export { buildRecords, type RecordContext } from './record/build-records.js';
export { newRecordId, stableRecordId } from './record/record-id.js';
export type { Uplink } from './uplink/uplink.js';
export {
  type DeviceEvent,
  type DeviceJoinEvent,
  type DeviceStatusEvent,
  type EnvelopeFailure,
  type EnvelopeParser,
  type EnvelopeResult,
  readJson,
  type UplinkResult,
} from './uplink/envelope.js';
export {
  chirpstackEventTypes,
  type ChirpstackEventType,
  chirpstackTopics,
  parseChirpstackEvent,
  parseChirpstackUp,
  parseChirpstackUpBody,
} from './uplink/chirpstack.js';
export { parseTtsUp, ttsTopics } from './uplink/tts.js';
export { recordsOfUplink, type RecordOrigin, type UplinkDevice, type UplinkRecords } from './uplink/uplink-records.js';
