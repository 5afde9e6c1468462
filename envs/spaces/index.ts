export { Space, entropySeed, checkSeed, isSpace } from './space.js';
export { Discrete, Box, MultiDiscrete, MultiBinary, type BoxDtype, type BoxArray } from './fundamental.js';
export { Tuple, Dict, type TupleValue, type DictValue } from './composite.js';
export { flatdim, flatten, unflatten, flattenSpace, batchSpace } from './utils.js';
