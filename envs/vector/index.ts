export * from './vectorEnv.js';
export { SyncVectorEnv, batchDim, aggregateFinalInfo, type SyncVectorEnvOptions } from './syncVectorEnv.js';
export { makeVec, makeVecAsync, type MakeVecOptions } from './makeVec.js';
