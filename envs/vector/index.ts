export * from './vectorEnv.js';
export { SyncVectorEnv, batchDim, writeBatchRow, writeNextObsRow, aggregateFinalInfo, type SyncVectorEnvOptions } from './syncVectorEnv.js';
export { makeVec, makeVecAsync, type MakeVecOptions } from './makeVec.js';
export { probeEnv, type EnvProbe } from './probeEnv.js';
