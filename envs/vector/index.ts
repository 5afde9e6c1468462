export * from './vectorEnv.js';
export { SyncVectorEnv, batchDim, writeBatchRow, writeNextObsRow, aggregateFinalInfo, type SyncVectorEnvOptions } from './syncVectorEnv.js';
export { makeVec, makeVecAsync, VECTORIZATION_MODES, type MakeVecOptions, type VectorizationMode } from './makeVec.js';
export { probeEnv, type EnvProbe } from './probeEnv.js';
